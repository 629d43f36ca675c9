// The mapping editor (templates/mappings/mapping_detail.html). Its preview pane re-runs on the
// "refresh-preview" event; every request that changes what it shows sends that event itself.
// Removing a row of the rule form (a transform, a condition) or closing the form with Cancel
// is no request (static/js/app.js removes it), so it is said here: the preview then shows the
// rule as it now stands, or drops the unsaved rule it was showing.

// Capture phase: the element is still in the page when this runs, before app.js removes it.
document.addEventListener(
  "click",
  (event) => {
    if (event.target.closest("#editor-body [data-remove-closest]")) {
      setTimeout(() => document.body.dispatchEvent(new CustomEvent("refresh-preview")));
    }
  },
  true,
);
