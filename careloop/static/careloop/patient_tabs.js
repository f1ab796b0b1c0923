/* The patient page: once htmx has swapped a tab into #tab-panel (and settled it), mark that tab as current.
 * A static file loaded by patients/detail.html: the CSP allows no inline script. */
document.body.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.target.id !== "tab-panel") return;
  var path = event.detail.pathInfo.requestPath;
  var links = Array.from(document.querySelectorAll(".tabs a"));
  // Forms swapped into the panel (record sections) are not tabs: keep the current tab marked.
  if (!links.some(function (a) { return a.getAttribute("href") === path; })) return;
  links.forEach(function (a) {
    var on = a.getAttribute("href") === path;
    a.classList.toggle("active", on);
    a.setAttribute("aria-selected", on ? "true" : "false");
  });
});
