// The consent page's signature box: signature_pad (vendored, MIT) on a canvas sized for
// the screen's pixel ratio. The drawing goes into the form as a PNG data URL on submit.
// Nothing is kept in browser storage.
(function () {
  var canvas = document.getElementById("signature-pad");
  var field = document.getElementById("id_signature");
  if (!canvas || !field || typeof SignaturePad === "undefined") { return; }
  var pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#0b1f33" });
  function resize() {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(data);
  }
  window.addEventListener("resize", resize);
  resize();
  var status = document.getElementById("signature-status");
  // The server's "sign in the box" error no longer holds once there is a signature.
  var error = document.querySelector("[data-testid=signature-error]");
  pad.addEventListener("endStroke", function () {
    field.value = pad.toDataURL("image/png");
    if (status) { status.textContent = "Signature captured."; }
    if (error) { error.hidden = true; }
  });
  var clear = document.getElementById("signature-clear");
  if (clear) {
    clear.addEventListener("click", function () {
      pad.clear();
      field.value = "";
      if (status) { status.textContent = "Box cleared: sign again."; }
    });
  }
  canvas.closest("form").addEventListener("submit", function () {
    field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
  });
})();
