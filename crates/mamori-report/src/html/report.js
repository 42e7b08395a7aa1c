(function () {
  "use strict";
  // Every value below comes from untrusted manifests: it is only ever set through textContent or attributes
  // (never innerHTML), and links are restricted to http(s).
  var PAGE_SIZE = 50;
  var RULE = 0, SEV = 1, PHASE = 2, KIND = 3, NS = 4, NAME = 5, FILE = 6, LINE = 7, COL = 8, PATH = 9, MSG = 10, FIX = 11;
  var NO_NAMESPACE = "(none)";
  var data = JSON.parse(document.getElementById("mamori-data").textContent);
  var findings = data.findings;
  var rules = data.rules;
  var phases = data.phases;
  var state = { matches: [], page: 0 };

  function byId(id) { return document.getElementById(id); }
  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function namespaceOf(f) { return f[NS] === null || f[NS] === "" ? NO_NAMESPACE : f[NS]; }
  function addOptions(select, values, label) {
    values.forEach(function (value) {
      var option = make("option", "", label ? label(value) : value);
      option.value = value;
      select.appendChild(option);
    });
  }

  var ruleIds = {}, namespaces = {};
  findings.forEach(function (f) { ruleIds[f[RULE]] = true; namespaces[namespaceOf(f)] = true; });
  addOptions(byId("f-rule"), Object.keys(ruleIds).sort(), function (id) {
    return rules[id] ? id + " \u2014 " + rules[id].title : id;
  });
  addOptions(byId("f-namespace"), Object.keys(namespaces).sort());

  function apply() {
    var severity = byId("f-severity").value;
    var phase = byId("f-phase").value;
    var rule = byId("f-rule").value;
    var namespace = byId("f-namespace").value;
    var query = byId("f-text").value.trim().toLowerCase();
    var matches = [];
    for (var i = 0; i < findings.length; i++) {
      var f = findings[i];
      if (severity && f[SEV] !== severity) { continue; }
      if (phase && f[PHASE] !== phase) { continue; }
      if (rule && f[RULE] !== rule) { continue; }
      if (namespace && namespaceOf(f) !== namespace) { continue; }
      if (query) {
        var haystack = [f[RULE], f[SEV], f[KIND], f[NS] || "", f[NAME], f[FILE] + ":" + f[LINE], f[PATH], f[MSG]]
          .join("\n").toLowerCase();
        if (haystack.indexOf(query) < 0) { continue; }
      }
      matches.push(i);
    }
    state.matches = matches;
    state.page = 0;
    render();
  }

  function safeUrl(url) { return /^https?:\/\//i.test(url) ? url : null; }

  function detailRow(f) {
    var tr = make("tr", "detail");
    var td = make("td", "detail");
    td.colSpan = 6;
    var dl = make("dl");
    function item(term, value, asCode) {
      if (!value) { return; }
      dl.appendChild(make("dt", "", term));
      var dd = make("dd");
      dd.appendChild(asCode ? make("code", "", value) : document.createTextNode(value));
      dl.appendChild(dd);
    }
    var rule = rules[f[RULE]] || {};
    item("Finding", f[MSG]);
    item("Field", f[PATH], true);
    item("Rule", rule.title ? f[RULE] + " \u2014 " + rule.title : f[RULE]);
    item("Why", rule.rationale);
    item("Fix", f[FIX] || rule.remediation);
    var refs = (rule.references || []).filter(function (r) { return safeUrl(r.url); });
    if (refs.length) {
      dl.appendChild(make("dt", "", "References"));
      var dd = make("dd");
      refs.forEach(function (r, index) {
        if (index) { dd.appendChild(document.createTextNode(" \u00b7 ")); }
        var a = make("a", "", r.label);
        a.href = safeUrl(r.url);
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        dd.appendChild(a);
      });
      dl.appendChild(dd);
    }
    td.appendChild(dl);
    tr.appendChild(td);
    return tr;
  }

  function findingRow(f) {
    var tr = make("tr", "finding");
    tr.tabIndex = 0;
    tr.setAttribute("data-severity", f[SEV]);
    tr.setAttribute("data-phase", f[PHASE]);
    tr.setAttribute("data-rule", f[RULE]);
    tr.setAttribute("data-namespace", namespaceOf(f));
    var sevCell = make("td");
    sevCell.appendChild(make("span", "sev sev-" + f[SEV], f[SEV]));
    tr.appendChild(sevCell);
    tr.appendChild(make("td", "rule", f[RULE]));
    tr.appendChild(make("td", "object", f[KIND] + "/" + f[NAME]));
    tr.appendChild(make("td", "namespace", f[NS] || ""));
    tr.appendChild(make("td", "location", f[FILE] + ":" + f[LINE] + ":" + f[COL]));
    tr.appendChild(make("td", "message", f[MSG]));
    var open = null;
    function toggle() {
      if (open) { open.remove(); open = null; return; }
      open = detailRow(f);
      tr.after(open);
    }
    tr.addEventListener("click", toggle);
    tr.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(); }
    });
    return tr;
  }

  function render() {
    var tbody = byId("rows");
    tbody.replaceChildren();
    var total = state.matches.length;
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * PAGE_SIZE;
    var fragment = document.createDocumentFragment();
    state.matches.slice(start, start + PAGE_SIZE).forEach(function (index) {
      fragment.appendChild(findingRow(findings[index]));
    });
    tbody.appendChild(fragment);
    byId("visible-count").textContent = String(total);
    byId("page-info").textContent = total === 0 ? "no matching findings" :
      "rows " + (start + 1) + "\u2013" + Math.min(start + PAGE_SIZE, total) + ", page " + (state.page + 1) + " of " + pages;
    byId("prev").disabled = state.page === 0;
    byId("next").disabled = state.page >= pages - 1;
  }

  var timer = null;
  ["f-severity", "f-phase", "f-rule", "f-namespace"].forEach(function (id) {
    byId(id).addEventListener("change", apply);
  });
  byId("f-text").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 120);
  });
  byId("filters").addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  byId("filters").addEventListener("reset", function () { setTimeout(apply, 0); });
  byId("prev").addEventListener("click", function () { state.page -= 1; render(); });
  byId("next").addEventListener("click", function () { state.page += 1; render(); });
  document.body.setAttribute("data-phases", String(Object.keys(phases).length));
  apply();
  document.body.setAttribute("data-ready", "true");
})();
