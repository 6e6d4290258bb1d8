// Images: each base image with its versions and super client; commit, rollback, rename,
// relocate. Read with `image list` and `image versions NAME`, again when the status stream
// says something changed (an image's name or current version is part of every client's line).
import { bytes, time } from "./format.js";
import { run } from "./linkctl.js";
import { button, checkbox, confirm, emptyState, field, h, label, modal, reportResult, spinner, textInput } from "./ui.js";

let store, container, visible = false, lastKey = null, loading = false, again = false;
let images = null, error = null;

export function render(el, s) {
    store = s;
    container = el;
    visible = true;
    if (!store.listeners.has(onStatus)) store.listeners.add(onStatus);
    if (!store.actionDone.has(reload)) store.actionDone.add(reload);
    draw();
    reload();
}
export function hide() { visible = false; }

// what of the status concerns this page: image names, versions, super clients, who is online
function statusKey() {
    const st = store.status;
    if (!st) return "";
    return JSON.stringify(st.clients.map(c => [c.image, c.current_version, c.booted_version, c.role, c.building_version, c.online]));
}
function onStatus() {
    if (!visible) return;
    const k = statusKey();
    if (k !== lastKey) reload();
}

async function reload() {
    if (!visible || store.denied) { draw(); return; }
    if (loading) { again = true; return; }
    loading = true;
    lastKey = statusKey();
    const r = await run(["image", "list"]);
    if (!r.ok) {
        error = r.error;
    } else {
        const list = [];
        for (const img of r.doc || []) {
            const v = await run(["image", "versions", img.name]);
            list.push({ ...img, versions: v.ok ? v.doc.versions : [], clients: v.ok ? v.doc.clients : [], error: v.ok ? null : v.error });
        }
        images = list;
        error = null;
    }
    loading = false;
    if (again) { again = false; reload(); return; }
    draw();
}

function draw() {
    if (!visible) return;
    if (store.denied) { container.replaceChildren(); return; }
    if (error) { container.replaceChildren(emptyState("Cannot list images", error, "danger")); return; }
    if (!images) { container.replaceChildren(spinner("Loading images")); return; }
    if (!images.length) {
        container.replaceChildren(emptyState("No images", h("span", {}, "Register a base image file with ", h("code", {}, "linkctl image add NAME FILE"), "."), "info"));
        return;
    }
    const focusId = container.contains(document.activeElement) ? document.activeElement.dataset.focusId : null;
    container.replaceChildren(h("div", { class: "bl-images" }, images.map(card)));
    if (focusId) container.querySelector(`[data-focus-id="${CSS.escape(focusId)}"]`)?.focus();
}

const onlineMacs = () => new Set((store.status?.clients || []).filter(c => c.online).map(c => c.mac));
const clientLabel = mac => {
    const c = (store.status?.clients || []).find(x => x.mac === mac);
    return c?.hostname ? `${c.hostname} (${mac})` : mac;
};

function card(img) {
    const sup = img.clients.find(c => c.role === "super");
    const building = img.versions.find(v => v.state === "building");
    const on = onlineMacs();
    const onHere = img.clients.filter(c => on.has(c.mac));
    const dl = (k, v) => h("div", { class: "pf-c-description-list__group" },
        h("dt", { class: "pf-c-description-list__term" }, h("span", { class: "pf-c-description-list__text" }, k)),
        h("dd", { class: "pf-c-description-list__description" }, h("div", { class: "pf-c-description-list__text" }, v)));
    const versions = [{ number: 0, state: "base", parent: null, current: img.current_version === 0, layer: img.path, created: img.created, committed: img.created }, ...img.versions];
    return h("article", { class: "pf-c-card pf-m-compact bl-image-card", "data-image": img.name, "aria-labelledby": `bl-img-${img.id}` },
        h("div", { class: "pf-c-card__header" },
            h("div", { class: "pf-c-card__title", id: `bl-img-${img.id}` }, h("h2", { class: "pf-c-title pf-m-lg" }, img.name)),
            h("div", { class: "pf-c-card__actions" },
                building ? button(`Commit version ${building.number}`, () => commit(img, building, sup, on), { variant: "primary", small: true, id: `bl-commit-${img.name}` }) : null,
                button("Rename…", () => rename(img, onHere), { small: true, id: `bl-rename-${img.name}` }),
                button("Relocate…", () => relocate(img, onHere), { small: true, id: `bl-relocate-${img.name}` }))),
        h("div", { class: "pf-c-card__body" },
            h("dl", { class: "pf-c-description-list pf-m-horizontal pf-m-compact pf-m-2-col-on-lg" },
                dl("Base file", img.path), dl("Size", bytes(img.size)),
                dl("Current version", String(img.current_version)),
                dl("Clients", `${img.clients.length} (${onHere.length} online)`),
                dl("Super client", sup ? `${clientLabel(sup.mac)}, writing version ${building ? building.number : "?"}${on.has(sup.mac) ? " (online)" : ""}` : "none")),
            img.error ? h("p", { class: "bl-error" }, img.error) : null,
            h("table", { class: "pf-c-table pf-m-compact pf-m-grid-md bl-versions", "aria-label": `Versions of ${img.name}` },
                h("thead", {}, h("tr", {},
                    h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "On"),
                    h("th", { scope: "col" }, "Clients on it"), h("th", { scope: "col" }, "Committed"), h("th", { scope: "col" }, "File"),
                    h("td", {}, h("span", { class: "pf-screen-reader" }, "Actions")))),
                h("tbody", {}, versions.map(v => versionRow(img, v))))));
}

function versionRow(img, v) {
    // a client that never booted starts the current version
    const on = img.clients.filter(c => c.role !== "super" && (c.booted_version === v.number || (c.booted_version < 0 && v.number === img.current_version))).length;
    const canRollback = v.state !== "building" && v.number !== img.current_version;
    return h("tr", { "data-version": String(v.number) },
        h("td", { "data-label": "Version" }, String(v.number), v.number === img.current_version ? [" ", label("current", "green")] : null),
        h("td", { "data-label": "State" }, v.state === "building" ? label("building", "purple") : v.state),
        h("td", { "data-label": "On" }, v.parent === null ? "–" : String(v.parent)),
        h("td", { "data-label": "Clients on it" }, String(on)),
        h("td", { "data-label": "Committed" }, v.state === "building" ? "–" : time(v.committed || v.created)),
        h("td", { "data-label": "File", class: "bl-path" }, v.layer || "–"),
        h("td", { class: "pf-c-table__action" },
            canRollback ? button(v.number < img.current_version ? "Roll back to this" : "Make current", () => rollback(img, v), { small: true, variant: "secondary", id: `bl-rollback-${img.name}-${v.number}` }) : null));
}

function rollback(img, v) {
    confirm({
        title: `Make version ${v.number} of ${img.name} current?`,
        text: `Clients of ${img.name} move to version ${v.number} at their next boot. Layers are kept: version ${img.current_version} can be made current again.`,
        consequences: [
            "Running clients keep the version they booted until they reboot.",
            "Persistent clients keep their version, with their changes, until they are reset (shown as update pending).",
        ],
        confirmText: `Make version ${v.number} current`,
        danger: false,
        run: async () => { reportResult(await run(["image", "rollback", img.name, String(v.number)]), `Rollback of ${img.name}`); store.acted(); },
    });
}

function commit(img, v, sup, on) {
    const running = sup && on.has(sup.mac);
    confirm({
        title: `Commit version ${v.number} of ${img.name}?`,
        text: `What the super client ${sup ? clientLabel(sup.mac) : ""} wrote becomes version ${v.number}, the current version of ${img.name}. The super client becomes a normal client on it.`,
        consequences: [
            running ? `The super client is running: linkctl refuses the commit until it is shut down, so that its disk is consistent.` : "The super client must stay off until the commit is done.",
            "Other clients move to the new version at their next boot; running clients keep theirs; persistent clients move when they are reset.",
        ],
        confirmText: "Commit",
        danger: false,
        run: async () => { reportResult(await run(["image", "commit", img.name]), `Commit of ${img.name}`); store.acted(); },
    });
}

function rename(img, onHere) {
    const name = textInput({ id: "bl-rename-name", value: img.name, autocomplete: "off" });
    const file = checkbox("Also rename the base file (and repoint its layers and overlays)", { id: "bl-rename-file" });
    const dlg = modal({
        title: `Rename ${img.name}`,
        body: h("form", { class: "pf-c-form", onsubmit: e => e.preventDefault() },
            field("New name", name, "Letters, digits, ., _ and -. Links follow: they refer to the image, not its name."),
            file.el,
            onHere.length ? h("p", { class: "bl-running" }, `${onHere.length} client(s) of ${img.name} are online: renaming the file is refused until they are off (the name alone can change now).`) : null),
        actions: [
            {
                text: "Rename", variant: "primary", id: "bl-rename-confirm", run: async () => {
                    const args = ["image", "rename", img.name, name.value.trim(), ...(file.input.checked ? ["--file"] : [])];
                    const r = await run(args);
                    if (!r.ok) { dlg.setError(r.error); return false; }
                    reportResult(r, `Rename of ${img.name}`);
                    store.acted();
                    return true;
                },
            },
            { text: "Cancel", variant: "link" },
        ],
    });
}

function relocate(img, onHere) {
    const path = textInput({ id: "bl-relocate-path", value: img.path, autocomplete: "off" });
    const force = checkbox("Relocate although clients are online (--force)", { id: "bl-relocate-force" });
    const dlg = modal({
        title: `Relocate ${img.name}`,
        body: h("form", { class: "pf-c-form", onsubmit: e => e.preventDefault() },
            h("p", {}, "After a disk or mount change: the file at the new path must be the same image (size, time and a content sample are checked). Layers and overlays on the base file are repointed."),
            field("New path", path, "Inside the configured image directory"),
            onHere.length ? [h("p", { class: "bl-running" }, `${onHere.length} client(s) of ${img.name} are online: their overlays are open in tcmu-runner; relocating under them needs --force.`), force.el] : null),
        actions: [
            {
                text: "Relocate", variant: "primary", id: "bl-relocate-confirm", run: async () => {
                    const r = await run(["image", "relocate", img.name, path.value.trim(), ...(force.input.checked ? ["--force"] : [])]);
                    if (!r.ok) { dlg.setError(r.error); return false; }
                    reportResult(r, `Relocate ${img.name}`);
                    store.acted();
                    return true;
                },
            },
            { text: "Cancel", variant: "link" },
        ],
    });
}
