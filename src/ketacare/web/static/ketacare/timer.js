// Live timers on the session page: time since a start (data-since, with an optional
// data-target-min) or time left until a moment (data-until). No patient data here.
(function () {
  function fmt(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    const m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll(".timer[data-since]").forEach(function (el) {
      const elapsed = now - Date.parse(el.dataset.since);
      const target = Number(el.dataset.targetMin || 0) * 60000;
      el.textContent = "running " + fmt(elapsed) + (target ? " of " + fmt(target) : "");
      el.classList.toggle("due", target > 0 && elapsed >= target);
    });
    document.querySelectorAll(".timer[data-until]").forEach(function (el) {
      const left = Date.parse(el.dataset.until) - now;
      el.textContent = left > 0 ? fmt(left) + " to go" : "observation time reached";
      el.classList.toggle("due", left <= 0);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
