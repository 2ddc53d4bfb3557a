/* Photo album for the developer-b2-quick-start sample bucket.
 *
 * The photo list is inlined here (no fetch/XHR), so the page also works
 * when opened straight from disk as a file: URL. Photos live one level up
 * from this album/ directory.
 */
(function () {
  "use strict";

  var PHOTOS = [
    { file: "../beach.jpg",    title: "Beach",    caption: "Sky, surf and sand under a red-and-white umbrella." },
    { file: "../bobcat.jpg",   title: "Bobcat",   caption: "A spotted bobcat pausing at the edge of the forest." },
    { file: "../coconuts.jpg", title: "Coconuts", caption: "Two coconut palms leaning over the dunes." },
    { file: "../lake.jpg",     title: "Lake",     caption: "Snow-capped peaks reflected in a mountain lake." },
    { file: "../sunset.jpg",   title: "Sunset",   caption: "The sun dipping into the sea beside a headland." }
  ];

  var grid = document.getElementById("grid");
  var viewer = document.getElementById("viewer");
  var vImg = document.getElementById("viewer-img");
  var vTitle = document.getElementById("viewer-title");
  var vCaption = document.getElementById("viewer-caption");
  var vMeta = document.getElementById("viewer-meta");
  var current = -1;
  var lastFocus = null;

  function baseName(path) {
    return path.slice(path.lastIndexOf("/") + 1);
  }

  // setHash records the open photo in the URL without adding history
  // entries. Some browsers refuse replaceState for file: pages; that only
  // loses the deep link, so errors are ignored.
  function setHash(h) {
    if (location.hash === h) return;
    try {
      history.replaceState(null, "", h || location.pathname + location.search);
    } catch (e) { /* ignore */ }
  }

  function buildGrid() {
    PHOTOS.forEach(function (p, i) {
      var li = document.createElement("li");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "card";
      btn.setAttribute("aria-label", "Open " + p.title);

      // data-state on the card says whether the photo arrived: "loaded"
      // (with its decoded size in data-size) or "broken". The style sheet
      // marks broken cards, and tests read it from the page.
      var img = document.createElement("img");
      img.onload = function () {
        li.setAttribute("data-state", "loaded");
        li.setAttribute("data-size", img.naturalWidth + "x" + img.naturalHeight);
      };
      img.onerror = function () { li.setAttribute("data-state", "broken"); };
      img.src = p.file;
      img.alt = p.title;

      var label = document.createElement("span");
      label.className = "label";
      var strong = document.createElement("strong");
      strong.textContent = p.title;
      var name = document.createElement("span");
      name.textContent = baseName(p.file);
      label.appendChild(strong);
      label.appendChild(name);

      btn.appendChild(img);
      btn.appendChild(label);
      btn.addEventListener("click", function () { open(i); });
      li.appendChild(btn);
      grid.appendChild(li);
    });
  }

  function show(i) {
    current = (i + PHOTOS.length) % PHOTOS.length;
    var p = PHOTOS[current];
    vImg.src = p.file;
    vImg.alt = p.title;
    vTitle.textContent = p.title;
    vCaption.textContent = p.caption;
    vMeta.textContent = baseName(p.file) + " \u00b7 " + (current + 1) + " of " + PHOTOS.length;
    vImg.onload = function () {
      vMeta.textContent = baseName(p.file) + " \u00b7 " + vImg.naturalWidth + "\u00d7" +
        vImg.naturalHeight + " \u00b7 " + (current + 1) + " of " + PHOTOS.length;
    };
    setHash("#" + p.title.toLowerCase());
  }

  function open(i) {
    lastFocus = document.activeElement;
    viewer.hidden = false;
    show(i);
    document.getElementById("viewer-close").focus();
  }

  function close() {
    viewer.hidden = true;
    current = -1;
    setHash("");
    if (lastFocus) lastFocus.focus();
  }

  document.getElementById("viewer-close").addEventListener("click", close);
  document.getElementById("viewer-prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("viewer-next").addEventListener("click", function () { show(current + 1); });
  viewer.addEventListener("click", function (e) {
    if (e.target === viewer) close();
  });
  document.addEventListener("keydown", function (e) {
    if (viewer.hidden) return;
    if (e.key === "Escape") close();
    else if (e.key === "ArrowLeft") show(current - 1);
    else if (e.key === "ArrowRight") show(current + 1);
  });

  buildGrid();

  // Deep link: photos.html#lake opens that photo directly.
  var want = location.hash.slice(1).toLowerCase();
  PHOTOS.forEach(function (p, i) {
    if (want && p.title.toLowerCase() === want) open(i);
  });
})();
