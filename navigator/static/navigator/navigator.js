// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    // "Find person" links point at #id_q: put the cursor in the search box.
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target && target.matches("input, select, textarea")) target.focus();
    }

    // Enter in the person search runs the search, not the whole form's submit.
    // Tab or Down from it goes to the first match: the matches share their
    // radio group with "Not identified yet", so the browser's own Tab would
    // land on that (checked) radio and jump over them. In the matches the
    // arrow keys choose (native radio behaviour), Enter too; Escape goes back
    // to the box.
    document.querySelectorAll("[data-person-search]").forEach(function (input) {
      var options = document.querySelector(input.dataset.personSearch);
      function matches() {
        return options ? options.querySelectorAll("input[type=radio]") : [];
      }
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          if (window.htmx) window.htmx.trigger(input, "search");
          return;
        }
        var forward = (event.key === "Tab" && !event.shiftKey) ||
          event.key === "ArrowDown";
        if (!forward || event.altKey || event.ctrlKey || event.metaKey) return;
        var radios = matches();
        if (!radios.length) return;
        event.preventDefault();
        var checked = options.querySelector("input[type=radio]:checked");
        (checked || radios[0]).focus();
      });
      if (options) {
        options.addEventListener("keydown", function (event) {
          if (!event.target.matches("input[type=radio]")) return;
          if (event.key === "Escape") {
            event.preventDefault();
            input.focus();
          } else if (event.key === "Enter") {
            // Enter chooses the match (as Space does); it must not submit
            // the whole encounter form half filled in.
            event.preventDefault();
            if (!event.target.checked) event.target.click();
          }
        });
      }
    });

    // The safety / response plan of the person just chosen in the picker.
    // One listener on the form, not an hx-get on each radio: search results
    // are swapped in, and htmx wires a new element only once the swap has
    // settled, so a radio chosen at once (a quick tap, Enter, a slow phone)
    // fetched nothing and the plan silently did not show.
    document.querySelectorAll("[data-plan-url]").forEach(function (plan) {
      var form = plan.closest("form");
      if (!form || !window.htmx) return;
      form.addEventListener("change", function (event) {
        var radio = event.target;
        if (!radio.matches("input[type=radio][name=person]") || !radio.checked) {
          return;
        }
        window.htmx.ajax("GET", plan.dataset.planUrl, {
          target: plan,
          swap: "innerHTML",
          values: { person: radio.value },
        });
      });
    });

    // "Here" fills latitude / longitude from the phone's location, if allowed.
    document.querySelectorAll("[data-geolocate]").forEach(function (button) {
      if (!("geolocation" in navigator)) return;
      var form = button.closest("form");
      var lat = form && form.querySelector("[name=latitude]");
      var lon = form && form.querySelector("[name=longitude]");
      if (!lat || !lon) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            lat.value = pos.coords.latitude.toFixed(6);
            lon.value = pos.coords.longitude.toFixed(6);
            button.disabled = false;
          },
          function () {
            button.disabled = false;
            button.textContent = "Location unavailable";
          },
          { enableHighAccuracy: true, timeout: 10000 }
        );
      });
    });

    // "Copy" beside a link shown once (the calendar feed); without
    // JavaScript the link is selectable text.
    document.querySelectorAll("[data-copy-source]").forEach(function (input) {
      var box = input.closest(".alert") || document;
      var button = box.querySelector("[data-copy-button]");
      var status = box.querySelector("[data-copy-status]");
      if (!button || !status) return;
      input.addEventListener("focus", function () { input.select(); });
      button.hidden = false;
      button.addEventListener("click", function () {
        function done() { status.textContent = "Copied."; }
        function byHand() {
          input.select();
          status.textContent = "Select the link and copy it (Ctrl+C or long-press).";
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, byHand);
        } else {
          input.select();
          if (document.execCommand("copy")) done();
          else byHand();
        }
      });
    });
  });
})();
