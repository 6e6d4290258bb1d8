// Clients: the live table (from the status stream), filter and sort, per-client and
// multi-select actions, adding a client. Every action is one linkctl command per client.
import { bytes, clientName, clientState, looksLikeMac, matches, rate, sortClients, versionText, warnings } from "./format.js";
import { run } from "./linkctl.js";
import { actionMenu, menuIsOpen, button, checkbox, confirm, emptyState, field, h, label, modal, notify, reportResult, select, sortHeader, spinner, textInput } from "./ui.js";

let store, container, visible = false;
const view = { filter: "", sort: { key: "name", asc: true }, selected: new Set() };
let tbody = null, toolbar = null, countEl = null;
let imageNames = [];

export function render(el, s) {
    store = s;
    container = el;
    visible = true;
    if (!store.listeners.has(update)) store.listeners.add(update);
    build();
    loadImages();
}
export function hide() { visible = false; }
export function tick() { if (visible && tbody) fillRates(); }

async function loadImages() {
    const r = await run(["image", "list"]);
    if (r.ok && Array.isArray(r.doc)) imageNames = r.doc.map(i => i.name);
}

function build() {
    const search = h("input", {
        class: "pf-c-form-control", type: "search", id: "bl-client-filter", placeholder: "Filter by name, MAC, image, state",
        "aria-label": "Filter clients", value: view.filter,
        oninput: e => { view.filter = e.target.value; fill(); },
    });
    countEl = h("span", { class: "bl-count", "aria-live": "polite" });
    toolbar = h("div", { class: "pf-c-toolbar" },
        h("div", { class: "pf-c-toolbar__content" },
            h("div", { class: "pf-c-toolbar__content-section" },
                h("div", { class: "pf-c-toolbar__item bl-filter" }, search),
                h("div", { class: "pf-c-toolbar__item" }, button("Add client", addClient, { variant: "primary", id: "bl-add-client" })),
                h("div", { class: "pf-c-toolbar__item bl-bulk", id: "bl-bulk" }),
                h("div", { class: "pf-c-toolbar__item pf-m-align-right" }, countEl))));
    const table = h("table", { class: "pf-c-table pf-m-compact pf-m-grid-md bl-clients", role: "grid", "aria-label": "Clients", id: "bl-clients" });
    tbody = h("tbody", { role: "rowgroup" });
    table.append(h("thead", {}, headRow()), tbody);
    container.replaceChildren(toolbar, h("div", { class: "bl-table-wrap" }, table));
    fill();
}

function headRow() {
    const onSort = key => {
        view.sort = { key, asc: view.sort.key === key ? !view.sort.asc : true };
        const thead = container.querySelector("thead");
        thead.replaceChildren(headRow());
        fill();
        thead.querySelector(`th[data-key="${key}"] button`)?.focus();
    };
    const all = h("input", {
        type: "checkbox", id: "bl-select-all", "aria-label": "Select all shown clients",
        onchange: e => {
            for (const c of shown()) e.target.checked ? view.selected.add(c.mac) : view.selected.delete(c.mac);
            fill();
        },
    });
    const sh = (t, k) => { const th = sortHeader(t, k, view.sort, onSort); th.dataset.key = k; return th; };
    return h("tr", { role: "row" },
        h("td", { class: "pf-c-table__check" }, all),
        sh("Client", "name"), sh("Image", "image"), sh("Version", "version"), sh("Mode", "mode"), sh("State", "state"),
        sh("Read", "read"), sh("Written", "write"), sh("Overlay", "overlay"),
        h("th", { scope: "col" }, "Warnings"),
        h("td", { class: "pf-c-table__action" }, h("span", { class: "pf-screen-reader" }, "Actions")));
}

function shown() {
    const st = store.status;
    if (!st) return [];
    return sortClients(st.clients.filter(c => matches(c, view.filter)), view.sort.key, view.sort.asc);
}

function update() {
    if (!visible || !tbody) return;
    // a client that went away leaves the selection
    const macs = new Set((store.status?.clients || []).map(c => c.mac));
    for (const m of [...view.selected]) if (!macs.has(m)) view.selected.delete(m);
    fill();
}

const stateColor = { online: "green", offline: "grey", disabled: "orange", unknown: "grey" };

let pendingFill = false;
document.addEventListener("bl-menu-closed", () => { if (pendingFill) { pendingFill = false; setTimeout(fill, 0); } });

function fill() {
    if (menuIsOpen()) { pendingFill = true; return; }
    if (!toolbar) return;
    const st = store.status;
    const addBtn = toolbar.querySelector("#bl-add-client");
    addBtn.disabled = !!store.denied || !st;
    if (!st) {
        tbody.replaceChildren(h("tr", {}, h("td", { colspan: 11 }, store.denied ? "" : spinner("Loading clients"))));
        bulk();
        return;
    }
    const list = shown();
    countEl.textContent = `${list.length} of ${st.clients.length} clients` +
        (st.linkmgr_running ? `, ${st.clients.filter(c => c.online).length} online` : "");
    if (!st.clients.length) {
        tbody.replaceChildren(h("tr", {}, h("td", { colspan: 11 },
            emptyState("No clients", "Link a PC's network card to an image with “Add client”.", "info"))));
        bulk();
        return;
    }
    const fid = tbody.contains(document.activeElement) ? document.activeElement.dataset.focusId : null;
    tbody.replaceChildren(...list.map(c => row(c, st)));
    if (fid) tbody.querySelector(`[data-focus-id="${CSS.escape(fid)}"]`)?.focus();
    const all = container.querySelector("#bl-select-all");
    if (all) {
        all.checked = list.length > 0 && list.every(c => view.selected.has(c.mac));
        all.indeterminate = !all.checked && list.some(c => view.selected.has(c.mac));
    }
    fillRates();
    bulk();
}

function row(c, st) {
    const state = clientState(c);
    const sel = h("input", {
        type: "checkbox", class: "bl-select", "aria-label": `Select ${clientName(c)}`, checked: view.selected.has(c.mac), "data-focus-id": `select-${c.mac}`,
        onchange: e => { e.target.checked ? view.selected.add(c.mac) : view.selected.delete(c.mac); fill(); },
    });
    const warn = warnings(c, st.linkmgr_running);
    const ver = versionText(c);
    return h("tr", { role: "row", dataset: { mac: c.mac }, class: view.selected.has(c.mac) ? "pf-m-selected" : null },
        h("td", { class: "pf-c-table__check", role: "gridcell" }, sel),
        h("td", { role: "gridcell", "data-label": "Client", class: "bl-client" },
            h("div", { class: "bl-name" }, c.hostname || c.mac),
            c.hostname ? h("div", { class: "bl-mac" }, c.mac) : null),
        h("td", { role: "gridcell", "data-label": "Image", class: "bl-image" }, c.image),
        h("td", { role: "gridcell", "data-label": "Version", class: "bl-version" }, ver,
            c.update_pending ? [" ", label("update pending", "blue", `current version is ${c.current_version}`)] : null),
        h("td", { role: "gridcell", "data-label": "Mode", class: "bl-mode" }, c.mode,
            c.role === "super" ? [" ", label("super", "purple")] : null),
        h("td", { role: "gridcell", "data-label": "State", class: "bl-state" }, label(state, stateColor[state])),
        h("td", { role: "gridcell", "data-label": "Read", class: "bl-read" }, h("div", {}, bytes(c.read_bytes)), h("div", { class: "bl-rate bl-read-rate" })),
        h("td", { role: "gridcell", "data-label": "Written", class: "bl-write" }, h("div", {}, bytes(c.write_bytes)), h("div", { class: "bl-rate bl-write-rate" })),
        h("td", { role: "gridcell", "data-label": "Overlay", class: "bl-overlay" }, bytes(c.overlay_bytes)),
        h("td", { role: "gridcell", "data-label": "Warnings", class: "bl-warnings" },
            warn.map(w => h("div", { class: `bl-warning bl-${w.level}` }, w.text))),
        h("td", { class: "pf-c-table__action", role: "gridcell" }, actionMenu(clientActions(c), `Actions for ${clientName(c)}`, `menu-${c.mac}`)));
}

function fillRates() {
    const now = Date.now() / 1000;
    for (const tr of tbody.querySelectorAll("tr[data-mac]")) {
        const r = store.rates.get(tr.dataset.mac, now);
        const a = tr.querySelector(".bl-read-rate"), b = tr.querySelector(".bl-write-rate");
        if (a) a.textContent = rate(r.read);
        if (b) b.textContent = rate(r.write);
    }
}

function selectedClients() {
    return (store.status?.clients || []).filter(c => view.selected.has(c.mac));
}

function bulk() {
    const area = toolbar.querySelector("#bl-bulk");
    const sel = selectedClients();
    if (!sel.length) { area.replaceChildren(); return; }
    area.replaceChildren(h("div", { class: "bl-bulk-actions", role: "group", "aria-label": `${sel.length} selected` },
        h("span", { class: "bl-bulk-count" }, `${sel.length} selected:`),
        button("Reset", () => resetClients(sel), { small: true, id: "bl-bulk-reset" }),
        button("Link to image", () => linkClients(sel), { small: true, id: "bl-bulk-link" }),
        button("Mode", () => modeClients(sel), { small: true, id: "bl-bulk-mode" }),
        button("Enable", () => enableClients(sel, true), { small: true, id: "bl-bulk-enable" }),
        button("Disable", () => enableClients(sel, false), { small: true, id: "bl-bulk-disable" }),
        button("Remove", () => removeClients(sel), { small: true, id: "bl-bulk-remove", danger: true }),
        button("Clear selection", () => { view.selected.clear(); fill(); }, { small: true, variant: "link" })));
}

function clientActions(c) {
    return [
        { text: "Details", run: () => details(c) },
        { separator: true },
        { text: "Reset overlay…", run: () => resetClients([c]) },
        { text: "Link to image…", run: () => linkClients([c]) },
        { text: c.mode === "persistent" ? "Make volatile…" : "Make persistent (read/write)…", run: () => modeClients([c]) },
        c.enabled ? { text: "Disable…", run: () => enableClients([c], false) } : { text: "Enable", run: () => enableClients([c], true) },
        c.role === "super" ? { text: "Cancel super client…", run: () => superClient(c, true) } : { text: "Make super client…", run: () => superClient(c, false) },
        { separator: true },
        { text: "Remove…", danger: true, run: () => removeClients([c]) },
    ];
}

const names = list => list.map(clientName).join(", ");
const online = list => list.filter(c => c.online);

// One linkctl command per client, in turn; a summary alert per client.
async function each(list, args, what) {
    let ok = true;
    for (const c of list) {
        const r = await run(args(c));
        ok = reportResult(r, `${what} ${clientName(c)}`) && ok;
    }
    store.acted();
    return ok;
}

function resetClients(list) {
    const on = online(list);
    confirm({
        title: list.length > 1 ? `Reset ${list.length} clients?` : `Reset ${clientName(list[0])}?`,
        text: `The overlay of ${names(list)} is discarded: everything the client wrote is lost, and it boots the current version of its image, clean.`,
        consequences: [
            on.length < list.length ? "A client that is off starts clean at its next boot." : null,
            on.length ? `${names(on)} ${on.length > 1 ? "are" : "is"} running: resetting now cuts the disk off under the running system, which loses what it wrote and will most likely crash. Shut it down first if you can.` : null,
        ].filter(Boolean),
        force: on.length ? { label: `Reset ${on.length > 1 ? "them" : "it"} although running (--force)` } : null,
        confirmText: "Reset",
        run: force => each(list, c => ["client", "reset", c.mac, ...(force && c.online ? ["--force"] : [])], "Reset"),
    });
}

async function pickImage(title, list, text, confirmText, onPick) {
    await loadImages();
    const sel = select(imageNames.map(n => ({ value: n, text: n })), list.length === 1 ? list[0].image : imageNames[0], { id: "bl-link-image" });
    const on = online(list);
    modal({
        title,
        body: h("form", { class: "pf-c-form", onsubmit: e => e.preventDefault() },
            h("p", {}, text),
            on.length ? h("p", { class: "bl-running" }, `${names(on)} ${on.length > 1 ? "are" : "is"} running and keep${on.length > 1 ? "" : "s"} its current disk until it reboots.`) : null,
            field("Image", sel)),
        actions: [
            { text: confirmText, variant: "primary", id: "bl-link-confirm", run: () => onPick(sel.value) },
            { text: "Cancel", variant: "link" },
        ],
    });
}

function linkClients(list) {
    pickImage(list.length > 1 ? `Link ${list.length} clients to an image` : `Link ${clientName(list[0])} to an image`, list,
        "At its next boot the client starts the chosen image with a fresh overlay: what it wrote on its current image is discarded.",
        "Link", image => each(list, c => ["client", "link", c.mac, image], `Link to ${image}:`));
}

function modeClients(list) {
    const target = list.length === 1 ? (list[0].mode === "persistent" ? "volatile" : "persistent") : "volatile";
    const sel = select([{ value: "volatile", text: "volatile: starts clean at every boot" },
                        { value: "persistent", text: "persistent (read/write): keeps what it writes" }], target, { id: "bl-mode" });
    const on = online(list);
    modal({
        title: list.length > 1 ? `Mode of ${list.length} clients` : `Mode of ${clientName(list[0])}`,
        body: h("form", { class: "pf-c-form", onsubmit: e => e.preventDefault() },
            field("Mode", sel),
            h("p", {}, "A volatile client loses what it wrote at its next boot; a persistent one keeps it until it is reset."),
            on.length ? h("p", { class: "bl-running" }, `${names(on)} ${on.length > 1 ? "are" : "is"} running: the new mode applies from the next boot.`) : null),
        actions: [
            { text: "Change mode", variant: "primary", id: "bl-mode-confirm", run: () => each(list, c => ["client", "set", c.mac, "--mode", sel.value], `Mode ${sel.value}:`) },
            { text: "Cancel", variant: "link" },
        ],
    });
}

function enableClients(list, on) {
    if (on)
        return each(list, c => ["client", "enable", c.mac], "Enable");
    const running = online(list);
    confirm({
        title: list.length > 1 ? `Disable ${list.length} clients?` : `Disable ${clientName(list[0])}?`,
        text: `${names(list)} will be told at boot that ${list.length > 1 ? "they are" : "it is"} disabled, until enabled again. Overlays are kept.`,
        consequences: running.length ? [`${names(running)} ${running.length > 1 ? "are" : "is"} running: linkmgr ends ${running.length > 1 ? "their" : "its"} iSCSI session, and the running system loses its disk.`] : [],
        confirmText: "Disable",
        run: () => each(list, c => ["client", "disable", c.mac], "Disable"),
    });
}

function superClient(c, cancel) {
    confirm({
        title: cancel ? `Stop ${clientName(c)} building a new version?` : `Make ${clientName(c)} the super client of ${c.image}?`,
        text: cancel ?
            `The version ${clientName(c)} is writing (${c.building_version ?? "?"}) is discarded, and it becomes a normal client again; its overlay is reset before its next boot.` :
            `From its next boot ${clientName(c)} starts from a clean copy of ${c.image}'s current version ${c.current_version} and writes a new version of the image. Finish with Commit on the Images tab. Other clients are not affected.`,
        consequences: [
            cancel ? "What it wrote since it became super client is lost." : "Its own overlay is reset: what it wrote so far is lost.",
            c.online ? `${clientName(c)} is running: it keeps its current disk until it reboots.` : null,
        ].filter(Boolean),
        confirmText: cancel ? "Discard new version" : "Make super client",
        run: () => each([c], x => ["client", "super", x.mac, ...(cancel ? ["--cancel"] : [])], cancel ? "Cancel super client" : "Super client"),
    });
}

function removeClients(list) {
    const running = online(list);
    confirm({
        title: list.length > 1 ? `Remove ${list.length} clients?` : `Remove ${clientName(list[0])}?`,
        text: `${names(list)}: the link, the iSCSI target, the boot entry and the overlay go away. The client no longer boots from this server.`,
        consequences: [
            running.length ? `${names(running)} ${running.length > 1 ? "are" : "is"} running and loses its disk at once.` : null,
            list.some(c => c.role === "super") ? "A super client is refused: commit its version or cancel it first." : null,
        ].filter(Boolean),
        confirmText: "Remove",
        run: () => each(list, c => ["client", "remove", c.mac], "Remove"),
    });
}

async function details(c) {
    const r = await run(["client", "show", c.mac]);
    if (!r.ok) { notify("danger", `Client ${clientName(c)}`, r.error); return; }
    const d = r.doc;
    const rows = [
        ["MAC", d.mac], ["Name", d.hostname || "–"], ["IP", d.ip || "from the DHCP range"], ["Image", d.image],
        ["Version", `${d.booted_version} booted, ${d.current_version} current`], ["Mode", d.mode], ["Role", d.role],
        ["Enabled", d.enabled ? "yes" : "no"], ["Online", d.online === null ? "unknown (linkmgr not running)" : d.online ? "yes" : "no"],
        ["Reset", d.reset_pending || "none pending"], ["Target IQN", d.target_iqn], ["Initiator IQN", d.initiator_iqn],
        ["Portal", `${d.portal_address || "(detected by linkmgr)"}:${d.portal_port}`], ["Overlay", `${d.overlay} (${bytes(d.overlay_bytes)})`],
        ["CHAP user", d.chap ? d.chap_user : "CHAP off"],
    ];
    modal({
        title: `Client ${clientName(c)}`,
        body: h("dl", { class: "pf-c-description-list pf-m-horizontal pf-m-compact", id: "bl-client-details" },
            rows.map(([k, v]) => h("div", { class: "pf-c-description-list__group" },
                h("dt", { class: "pf-c-description-list__term" }, h("span", { class: "pf-c-description-list__text" }, k)),
                h("dd", { class: "pf-c-description-list__description" }, h("div", { class: "pf-c-description-list__text" }, String(v)))))),
        actions: [{ text: "Close", variant: "primary" }],
    });
}

async function addClient() {
    await loadImages();
    if (!imageNames.length) {
        notify("warning", "No images", "Add a base image first: linkctl image add NAME FILE");
        return;
    }
    const mac = textInput({ id: "bl-add-mac", placeholder: "52:54:00:12:34:56", required: true, autocomplete: "off" });
    const image = select(imageNames, imageNames[0], { id: "bl-add-image" });
    const name = textInput({ id: "bl-add-name", placeholder: "pc01 (optional)" });
    const ip = textInput({ id: "bl-add-ip", placeholder: "from the DHCP range" });
    const mode = select([{ value: "volatile", text: "volatile: starts clean at every boot" },
                         { value: "persistent", text: "persistent (read/write): keeps what it writes" }], "volatile", { id: "bl-add-mode" });
    const dis = checkbox("Disabled (told at boot that it is disabled)", { id: "bl-add-disabled" });
    const dlg = modal({
        title: "Add client",
        body: h("form", { class: "pf-c-form", onsubmit: e => e.preventDefault() },
            field("MAC address", mac, "Any spelling: aa:bb:cc:dd:ee:ff, aa-bb-…, aabb.ccdd.eeff"),
            field("Image", image), field("Host name", name), field("Fixed IP address", ip), field("Mode", mode), dis.el,
            h("p", { class: "bl-hint" }, "CHAP credentials are generated (linkctl client add).")),
        actions: [
            {
                text: "Add", variant: "primary", id: "bl-add-confirm", run: async () => {
                    if (!looksLikeMac(mac.value)) { dlg.setError("That is not a MAC address."); return false; }
                    const args = ["client", "add", mac.value.trim(), "--image", image.value, "--mode", mode.value];
                    if (name.value.trim()) args.push("--name", name.value.trim());
                    if (ip.value.trim()) args.push("--ip", ip.value.trim());
                    if (dis.input.checked) args.push("--disabled");
                    const r = await run(args);
                    if (!r.ok) { dlg.setError(r.error); return false; }
                    reportResult(r, "Add client");
                    store.acted();
                    return true;
                },
            },
            { text: "Cancel", variant: "link" },
        ],
    });
}
