"""Read models of the treatment pages (design: "a page that shows a lot gets a read
model"): each gathers what one page shows through the access helpers' objects and the
clinical core, and returns a dataclass the view renders. They never write."""
