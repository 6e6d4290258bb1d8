// Events: linkctl's log of changes, newest first, with a filter. Re-read when the status
// stream reports a change and after the page's own actions (a change is also an event).
import { time } from "./format.js";
import { run } from "./linkctl.js";
import { button, emptyState, h, spinner } from "./ui.js";

let store, container, visible = false, events = null, error = null, filter = "", timer = null, tbody = null;

export function render(el, s) {
    store = s;
    container = el;
    visible = true;
    if (!store.listeners.has(soon)) store.listeners.add(soon);
    if (!store.actionDone.has(load)) store.actionDone.add(load);
    build();
    load();
}
export function hide() { visible = false; }
function soon() { if (visible) { clearTimeout(timer); timer = setTimeout(load, 500); } }

async function load() {
    if (!visible || store.denied) return;
    const r = await run(["events", "--limit", "500"]);
    if (r.ok) { events = r.doc || []; error = null; } else error = r.error;
    fill();
}

function build() {
    const search = h("input", {
        class: "pf-c-form-control", type: "search", id: "bl-event-filter", placeholder: "Filter events", "aria-label": "Filter events",
        value: filter, oninput: e => { filter = e.target.value; fill(); },
    });
    tbody = h("tbody", {});
    container.replaceChildren(
        h("div", { class: "pf-c-toolbar" }, h("div", { class: "pf-c-toolbar__content" }, h("div", { class: "pf-c-toolbar__content-section" },
            h("div", { class: "pf-c-toolbar__item bl-filter" }, search),
            h("div", { class: "pf-c-toolbar__item" }, button("Refresh", load, { id: "bl-events-refresh" }))))),
        h("table", { class: "pf-c-table pf-m-compact pf-m-grid-md bl-events", "aria-label": "Events", id: "bl-events" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "bl-time" }, "Time"), h("th", { scope: "col" }, "Object"), h("th", { scope: "col" }, "What happened"))),
            tbody));
    fill();
}

function fill() {
    if (!visible || !tbody) return;
    if (store.denied) { container.replaceChildren(); return; }
    if (error) { tbody.replaceChildren(h("tr", {}, h("td", { colspan: 3 }, emptyState("Cannot read events", error, "danger")))); return; }
    if (!events) { tbody.replaceChildren(h("tr", {}, h("td", { colspan: 3 }, spinner("Loading events")))); return; }
    const t = filter.toLowerCase();
    const list = events.filter(e => !t || e.object.toLowerCase().includes(t) || e.message.toLowerCase().includes(t));
    if (!list.length) { tbody.replaceChildren(h("tr", {}, h("td", { colspan: 3 }, filter ? "No event matches." : "No events yet."))); return; }
    tbody.replaceChildren(...list.map(e => h("tr", {},
        h("td", { "data-label": "Time", class: "bl-time" }, time(e.ts)),
        h("td", { "data-label": "Object", class: "bl-object" }, e.object),
        h("td", { "data-label": "What happened", class: "bl-message" }, e.message))));
}
