// Behaviour the templates ask for through data- attributes. The Content-Security-Policy only
// runs scripts from our own static files: no inline <script>, onclick= or hx-vals="js:...".

// <button data-remove-closest=".condition">: remove the enclosing element that matches.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-remove-closest]");
  if (button) {
    button.closest(button.dataset.removeClosest)?.remove();
  }
});

// Buttons that fetch one more form row (hx-get) send the new row's index, counted from the
// rows already there (data-row-index-of="#c-rows .condition"), and with data-name-from="#id"
// the value of that field as `name`.
document.addEventListener("htmx:configRequest", (event) => {
  const element = event.detail.elt;
  const parameters = event.detail.parameters;
  if (element.dataset.rowIndexOf) {
    parameters.index = document.querySelectorAll(element.dataset.rowIndexOf).length;
  }
  if (element.dataset.nameFrom) {
    parameters.name = document.querySelector(element.dataset.nameFrom)?.value ?? "";
  }
});
