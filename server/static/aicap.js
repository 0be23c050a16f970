/* The query page (server/templates/index.html): YASGUI on this service's /sparql, offline.
 *
 * YASGUI 4.6.2 would reach other hosts in three ways, all turned off here: the LOV class
 * and property autocompleters (lov.linkeddata.es), prefix.cc (off unless prefixCcApi is
 * set; the bundled prefix list is used) and the endpoint suggestions (dbpedia.org,
 * wikidata.org). tests/live/test_browser.py fails on any request that leaves 127.0.0.1,
 * and the page's Content-Security-Policy would refuse one anyway.
 */
(function () {
  "use strict";

  var OFFLINE_COMPLETERS = ["prefixes", "variables"];
  var FIRST_QUERY = [
    "PREFIX aicap: <https://w3id.org/aicap/ontology#>",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
    "",
    "# Every firm in the graph, with how many value transfers leave it",
    "SELECT ?firm ?name (COUNT(?transfer) AS ?transfersOut) WHERE {",
    "  ?firm a/rdfs:subClassOf* aicap:Firm ; rdfs:label ?name .",
    "  OPTIONAL { ?transfer aicap:fromParty ?firm }",
    "}",
    "GROUP BY ?firm ?name",
    "ORDER BY DESC(?transfersOut) ?name",
  ].join("\n");

  var root = document.getElementById("yasgui");
  var data = document.getElementById("aicap-questions");
  if (!root || !data || typeof Yasgui === "undefined") return;

  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href).href;
  var questions = JSON.parse(data.textContent);

  // Yasgui's config merge would mix arrays index by index: filter the shared defaults.
  [Yasgui.Yasqe.defaults, Yasgui.defaults.yasqe].forEach(function (defaults) {
    defaults.autocompleters = defaults.autocompleters.filter(function (name) {
      return OFFLINE_COMPLETERS.indexOf(name) >= 0;
    });
    defaults.prefixCcApi = null;
  });

  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    // One set of saved tabs per service address: tabs never point at a former port.
    persistenceId: "aicap_" + window.location.host,
    yasqe: { value: FIRST_QUERY },
  });

  function openQuestion(name) {
    var question = questions.filter(function (q) { return q.name === name; })[0];
    if (!question) return;
    var id = "question-" + name;
    if (yasgui.getTab(id)) {
      yasgui.selectTabId(id);
    } else {
      yasgui.addTab(true, {
        id: id,
        name: question.title,
        yasqe: { value: question.sparql },
        requestConfig: { endpoint: endpoint },
      });
    }
    document.getElementById("editor").scrollIntoView({ block: "start" });
  }

  // Resources of this graph open on this service's /id/ pages, not at their IRI's host.
  var resourceBase = root.getAttribute("data-resource-base");
  var resourcePages = new URL(root.getAttribute("data-resource-pages"), window.location.href).href;
  function localiseLinks() {
    root.querySelectorAll("a[href]").forEach(function (link) {
      var href = link.getAttribute("href");
      if (resourceBase && href.indexOf(resourceBase) === 0) {
        link.setAttribute("href", resourcePages + href.slice(resourceBase.length));
        link.removeAttribute("target");
        link.title = href;
      }
    });
  }
  new MutationObserver(localiseLinks).observe(root, { childList: true, subtree: true });

  document.querySelectorAll("button.open-in-editor").forEach(function (button) {
    button.addEventListener("click", function () {
      openQuestion(button.getAttribute("data-question"));
    });
  });

  var asked = new URLSearchParams(window.location.search).get("question");
  if (asked) openQuestion(asked);

  window.aicapYasgui = yasgui; // for the browser test and for people at the console
})();
