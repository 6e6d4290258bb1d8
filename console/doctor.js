// Doctor: `linkctl doctor`, every cause of a failed diskless boot it checks, with its advice.
// It exits 1 when a check failed; its JSON is the answer all the same.
import { run } from "./linkctl.js";
import { button, emptyState, h, label, spinner } from "./ui.js";

let store, container, visible = false, result = null, error = null, running = false;

export function render(el, s) {
    store = s;
    container = el;
    visible = true;
    draw();
    if (!result && !running) check();
}
export function hide() { visible = false; }

async function check() {
    if (store.denied) return;
    running = true;
    draw();
    const r = await run(["doctor"]);
    running = false;
    if (r.doc && Array.isArray(r.doc.checks)) { result = r.doc; error = null; } else { error = r.error; result = null; }
    draw();
}

const color = { ok: "green", warn: "orange", fail: "red" };

function draw() {
    if (!visible) return;
    if (store.denied) { container.replaceChildren(); return; }
    const bar = h("div", { class: "pf-c-toolbar" }, h("div", { class: "pf-c-toolbar__content" }, h("div", { class: "pf-c-toolbar__content-section" },
        h("div", { class: "pf-c-toolbar__item" }, button(running ? "Checking…" : "Run checks again", check, { variant: "secondary", id: "bl-doctor-run", disabled: running })),
        result ? h("div", { class: "pf-c-toolbar__item bl-doctor-summary", id: "bl-doctor-summary" },
            result.failed ? `${result.failed} failed, ${result.warnings} warning(s)` : result.warnings ? `all passed, ${result.warnings} warning(s)` : "all checks passed") : null)));
    let body;
    if (error) body = emptyState("linkctl doctor did not run", error, "danger");
    else if (!result) body = spinner("Checking");
    else body = h("table", { class: "pf-c-table pf-m-compact pf-m-grid-md bl-doctor", "aria-label": "Checks", id: "bl-doctor" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Result"), h("th", { scope: "col" }, "Check"), h("th", { scope: "col" }, "Finding"), h("th", { scope: "col" }, "What to do"))),
        h("tbody", {}, result.checks.map(c => h("tr", { "data-check": c.check, "data-result": c.result },
            h("td", { "data-label": "Result" }, label(c.result, color[c.result] || "grey")),
            h("td", { "data-label": "Check", class: "bl-check" }, c.check),
            h("td", { "data-label": "Finding" }, c.detail),
            h("td", { "data-label": "What to do", class: "bl-fix" }, c.fix ? h("code", {}, c.fix) : "–")))));
    container.replaceChildren(bar, body);
}
