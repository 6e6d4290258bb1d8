// bootlink's Cockpit page in a real browser (headless Debian chromium, playwright-core) against
// the server guest of server-console.sh: real cockpit-ws with password logins, real linkmgr,
// tcmu-runner and LIO. What the page shows is compared with linkctl run in the guest, and what
// it does is checked there too. Run by test-console.sh, which starts the guest and sets:
//   BOOTLINK_T_URL          the guest's cockpit-ws, forwarded to 127.0.0.1
//   BOOTLINK_T_SERVER_OUT   the guest's shared output directory (requests)
//   BOOTLINK_T_NODE_MODULES where playwright-core is
//   BOOTLINK_T_SHOTS        where the screenshots go
//   BOOTLINK_T_PASSWORD     the test users' password
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const env = name => { const v = process.env[name]; if (!v) throw new Error(`${name} is not set (run test-console.sh)`); return v; };
const URL = env("BOOTLINK_T_URL"), OUT = env("BOOTLINK_T_SERVER_OUT"), SHOTS = env("BOOTLINK_T_SHOTS");
const PASSWORD = env("BOOTLINK_T_PASSWORD");
const { chromium } = createRequire(join(env("BOOTLINK_T_NODE_MODULES"), "/"))("playwright-core");

const A = "52:54:00:c0:00:01", B = "52:54:00:c0:00:02", C = "52:54:00:c0:00:03", D = "52:54:00:c0:00:04", E = "52:54:00:c0:00:05";
const NEW = "52:54:00:c0:00:09";
const sleep = ms => new Promise(r => setTimeout(r, ms));

// --- the guest: one request file per question (tests/e2e/lib-guest.sh's protocol) ---
let nextReq = readdirSync(OUT).filter(f => /^req-\d+$/.test(f)).length;
async function request(line, timeout = 120000) {
    const r = `req-${nextReq++}`;
    writeFileSync(join(OUT, `${r}.tmp`), line + "\n");
    renameSync(join(OUT, `${r}.tmp`), join(OUT, r));
    for (const t0 = Date.now(); Date.now() - t0 < timeout; await sleep(200)) {
        const f = join(OUT, `${r}.done`);
        if (existsSync(f)) {
            const text = readFileSync(f, "utf8");
            const nl = text.indexOf("\n");
            return { status: text.slice(0, nl), output: text.slice(nl + 1) };
        }
    }
    throw new Error(`the guest did not answer '${line}'`);
}
// linkctl --json in the guest; returns its document
async function guest(...args) {
    const r = await request(["linkctl", "--json", ...args].join(" "));
    assert.equal(r.status, "ok", `linkctl ${args.join(" ")} in the guest: ${r.status} ${r.output}`);
    return JSON.parse(r.output);
}
// wait until f() is truthy (polls the guest or the page); returns its value
async function until(what, f, timeout = 60000) {
    let last;
    for (const t0 = Date.now(); Date.now() - t0 < timeout; await sleep(1000)) {
        last = await f();
        if (last) return last;
    }
    assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

let browser;
before(async () => {
    browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"],
    });
});
after(async () => { await browser?.close(); });

const T = 120000;    // the guest runs under TCG on a shared host: Cockpit's pages take seconds there

// admin: log in with administrative access, as Cockpit does for a user who turned it on before
// (the shell remembers the choice in localStorage, "superuser:USER"; the login then starts the
// bridge's sudo with the login password)
async function login(user, admin = false) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    page.setDefaultTimeout(T);
    const errors = [];
    page.on("pageerror", e => errors.push(e.message));
    page.errors = errors;
    await page.goto(URL + "/");
    await page.evaluate(([u, a]) => localStorage.setItem(`superuser:${u}`, a ? "any" : "none"), [user, admin]);
    await page.locator("#login-user-input").fill(user);
    await page.locator("#login-password-input").fill(PASSWORD);
    await page.locator("#login-button").click();
    // the shell is up, and Cockpit lists bootlink in its menu
    await page.locator("nav").getByRole("link", { name: "bootlink" }).waitFor({ timeout: 300000 });
    return page;
}
const frame = page => page.frameLocator('iframe[name="cockpit1:localhost/bootlink"]');
const row = (f, mac) => f.locator(`#bl-clients tr[data-mac="${mac}"]`);

async function openMenuItem(page, mac, item) {
    const f = frame(page);
    await row(f, mac).locator(".pf-c-dropdown__toggle").click();
    await row(f, mac).locator(".pf-c-dropdown.pf-m-expanded").getByRole("menuitem", { name: item }).click();
}

async function shot(page, name) {
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

let admin;

test("an admin logs in with a password, with administrative access, and finds bootlink in Cockpit's menu", async () => {
    admin = await login("bladmin", true);
    // Cockpit's top bar says the session has administrative access
    await admin.locator("header button", { hasText: "Administrative access" }).first().waitFor();
    const link = admin.locator("nav").getByRole("link", { name: "bootlink" });
    await link.click();
    await frame(admin).locator("#bl-clients").waitFor();
    assert.match(admin.url(), /\/bootlink/);
});

test("the clients table shows the linked clients with the image and state linkctl reports", async () => {
    const f = frame(admin);
    // pc01 has a live session: wait for the live status to say so
    await row(f, A).locator(".bl-state", { hasText: "online" }).waitFor({ timeout: 90000 });
    const st = await guest("status");
    assert.equal(st.linkmgr_running, true);
    assert.equal(st.clients.length, 5);
    for (const c of st.clients) {
        const r = row(f, c.mac);
        const state = !c.enabled ? "disabled" : c.online ? "online" : "offline";
        assert.equal((await r.locator(".bl-image").textContent()).trim(), c.image, `image of ${c.mac}`);
        assert.equal((await r.locator(".bl-state").textContent()).trim(), state, `state of ${c.mac}`);
        assert.equal((await r.locator(".bl-name").textContent()).trim(), c.hostname, `name of ${c.mac}`);
        assert.match(await r.locator(".bl-mode").textContent(), new RegExp(c.mode));
    }
    // what the set-up made, as the page shows it
    assert.equal((await row(f, A).locator(".bl-state").textContent()).trim(), "online");
    assert.equal((await row(f, B).locator(".bl-state").textContent()).trim(), "offline");
    assert.equal((await row(f, C).locator(".bl-state").textContent()).trim(), "disabled");
    assert.match(await row(f, D).locator(".bl-version").textContent(), /0 → 1/);
    assert.match(await row(f, D).locator(".bl-warnings").textContent(), /super client: writes version 1/);
    assert.match(await row(f, C).locator(".bl-warnings").textContent(), /disabled/);
    assert.match(await f.locator(".bl-count").textContent(), /5 of 5 clients, 1 online/);
});

test("the table is live: pc01's reads and a change made outside the page appear without a reload", async () => {
    const f = frame(admin);
    const before = (await row(f, A).locator(".bl-read div").first().textContent()).trim();
    await until("pc01's read counter to move", async () =>
        (await row(f, A).locator(".bl-read div").first().textContent()).trim() !== before, 120000);
    await guest("client", "set", E, "--name", "pc03b");
    await row(f, E).locator(".bl-name", { hasText: "pc03b" }).waitFor({ timeout: 30000 });
    // one streaming linkctl feeds the page: no linkctl run per second
    const ps = await request("count status --follow");
    assert.equal(ps.status, "ok");
    assert.equal(ps.output.trim(), "1", "linkctl status --follow processes in the guest");
});

test("filter and sort", async () => {
    const f = frame(admin);
    await f.locator("#bl-client-filter").fill("ubuntu");
    await f.locator("#bl-clients tbody tr[data-mac]").nth(1).waitFor();
    assert.deepEqual(await f.locator("#bl-clients tbody tr[data-mac]").evaluateAll(rs => rs.map(r => r.dataset.mac)), [C, D]);
    await f.locator("#bl-client-filter").fill("");
    await f.locator('#bl-clients th[data-key="state"] button').click();
    const macs = await f.locator("#bl-clients tbody tr[data-mac]").evaluateAll(rs => rs.map(r => r.dataset.mac));
    assert.equal(macs[0], A, "online first");
    assert.equal(macs[macs.length - 1], C, "disabled last");
    await f.locator('#bl-clients th[data-key="name"] button').click();
});

test("a reset from the page reaches linkctl: pc02's overlay is discarded", async () => {
    const f = frame(admin);
    const w = await request(`write ${B} 4`);
    assert.equal(w.status, "ok", w.output);
    const full = await until("pc02's overlay to hold its 4 MiB", async () => {
        const s = await guest("client", "show", B);
        return s.online === false && s.overlay_bytes >= 4 << 20 ? s : null;
    });
    await openMenuItem(admin, B, "Reset overlay…");
    const dlg = f.getByRole("dialog");
    await dlg.getByText("A client that is off starts clean at its next boot.").waitFor();
    await shot(admin, "console-reset");
    await dlg.locator("#bl-confirm").click();
    await f.locator(".pf-c-alert.pf-m-success", { hasText: `client ${B}: overlay reset requested` }).waitFor();
    // linkmgr renews an offline client's disk at once: a fresh overlay, the reset done
    const s = await until("pc02's overlay to be fresh", async () => {
        const x = await guest("client", "show", B);
        return x.overlay_bytes < full.overlay_bytes && x.reset_pending === null ? x : null;
    });
    assert.ok(s.overlay_bytes < 4 << 20, `overlay ${s.overlay_bytes} bytes after the reset`);
    const ev = await guest("events", "--limit", "5");
    assert.ok(ev.some(e => e.object === `client ${B}` && /overlay reset requested/.test(e.message)), JSON.stringify(ev));
});

test("resetting a running client says what happens to it and needs --force ticked", async () => {
    const f = frame(admin);
    await openMenuItem(admin, A, "Reset overlay…");
    const dlg = f.getByRole("dialog");
    await dlg.getByText(/pc01 is running: resetting now cuts the disk off under the running system/).waitFor();
    assert.equal(await dlg.locator("#bl-confirm").isDisabled(), true, "Reset is disabled until --force is ticked");
    await dlg.locator("#bl-confirm-force").check();
    assert.equal(await dlg.locator("#bl-confirm").isDisabled(), false);
    await admin.keyboard.press("Escape");
    await dlg.waitFor({ state: "detached" });
    const s = await guest("client", "show", A);
    assert.equal(s.reset_pending, null, "nothing was reset");
    assert.equal(s.online, true);
});

test("multi-select: enable lab01 and pc03 together", async () => {
    const f = frame(admin);
    await row(f, C).locator(".bl-select").check();
    await row(f, E).locator(".bl-select").check();
    await f.locator("#bl-bulk-enable").click();
    await until("lab01 to be enabled", async () => (await guest("client", "show", C)).enabled === true);
    await row(f, C).locator(".bl-state", { hasText: "offline" }).waitFor();
    assert.equal((await guest("client", "show", E)).enabled, true);
    await f.getByRole("button", { name: "Clear selection" }).click();
});

test("adding a client from the page", async () => {
    const f = frame(admin);
    await f.locator("#bl-add-client").click();
    const dlg = f.getByRole("dialog");
    await dlg.locator("#bl-add-mac").fill("52-54-00-C0-00-09");
    await dlg.locator("#bl-add-image").selectOption("ubuntu");
    await dlg.locator("#bl-add-name").fill("pc09");
    await dlg.locator("#bl-add-mode").selectOption("persistent");
    await dlg.locator("#bl-add-confirm").click();
    await dlg.waitFor({ state: "detached" });
    const s = await guest("client", "show", NEW);
    assert.equal(s.image, "ubuntu");
    assert.equal(s.hostname, "pc09");
    assert.equal(s.mode, "persistent");
    await row(f, NEW).waitFor();
    // a bad MAC is refused in the dialog, nothing added
    await f.locator("#bl-add-client").click();
    await dlg.locator("#bl-add-mac").fill("52:54:00:zz:00:01");
    await dlg.locator("#bl-add-confirm").click();
    await dlg.getByText("That is not a MAC address.").waitFor();
    await dlg.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await guest("client", "list")).length, 6);
});

test("linking pc03 to another image", async () => {
    const f = frame(admin);
    await openMenuItem(admin, E, "Link to image…");
    const dlg = f.getByRole("dialog");
    await dlg.locator("#bl-link-image").selectOption("ubuntu");
    await dlg.locator("#bl-link-confirm").click();
    await dlg.waitFor({ state: "detached" });
    assert.equal((await guest("client", "show", E)).image, "ubuntu");
    await row(f, E).locator(".bl-image", { hasText: "ubuntu" }).waitFor();
});

test("keyboard: tabs with arrow keys, the row menu with Enter, arrows and Escape", async () => {
    const f = frame(admin);
    const toggle = row(f, A).locator(".pf-c-dropdown__toggle");
    await toggle.focus();
    await admin.keyboard.press("Enter");
    const menu = row(f, A).locator(".pf-c-dropdown.pf-m-expanded");
    await menu.waitFor();
    assert.equal(await menu.evaluate(m => document.activeElement.textContent), "Details");
    await admin.keyboard.press("ArrowDown");
    assert.equal(await menu.evaluate(m => document.activeElement.textContent), "Reset overlay…");
    await admin.keyboard.press("Escape");
    await menu.waitFor({ state: "detached" }).catch(() => {});
    assert.equal(await row(f, A).locator(".pf-c-dropdown").evaluate(d => d.classList.contains("pf-m-expanded")), false);
    assert.equal(await toggle.evaluate(t => t === document.activeElement), true, "focus is back on the menu button");
    // Details opens a dialog; Escape closes it and focus comes back
    await admin.keyboard.press("Enter");
    await admin.keyboard.press("Enter");
    await f.locator("#bl-client-details").waitFor();
    assert.match(await f.locator("#bl-client-details").textContent(), new RegExp(`target-${A.replaceAll(":", "")}`));
    await admin.keyboard.press("Escape");
    await f.locator("#bl-client-details").waitFor({ state: "detached" });
    await f.locator("#bl-tab-clients").focus();
    await admin.keyboard.press("ArrowRight");
    await f.locator(".bl-image-card").first().waitFor();
    assert.equal(await f.locator("#bl-tab-images").evaluate(t => t === document.activeElement && t.getAttribute("aria-selected") === "true"), true);
});

test("images: versions and the super client; rename from the page", async () => {
    const f = frame(admin);
    await f.locator("#bl-tab-images").click();
    const ubuntu = f.locator('.bl-image-card[data-image="ubuntu"]');
    await ubuntu.waitFor();
    assert.match(await ubuntu.textContent(), /Super client.*lab02 \(52:54:00:c0:00:04\), writing version 1/);
    assert.match(await ubuntu.locator('tr[data-version="1"]').textContent(), /building/);
    await ubuntu.getByRole("button", { name: "Commit version 1" }).waitFor();
    const win = f.locator('.bl-image-card[data-image="win10"]');
    await win.getByRole("button", { name: "Rename…" }).click();
    const dlg = f.getByRole("dialog");
    await dlg.locator("#bl-rename-name").fill("win11");
    await dlg.locator("#bl-rename-confirm").click();
    await dlg.waitFor({ state: "detached" });
    const list = await guest("image", "list");
    assert.deepEqual(list.map(i => i.name).sort(), ["ubuntu", "win11"]);
    await f.locator('.bl-image-card[data-image="win11"]').waitFor();
    await shot(admin, "console-images");
    await f.locator("#bl-tab-clients").click();
    await row(f, A).locator(".bl-image", { hasText: "win11" }).waitFor();
});

test("events: the page lists what linkctl logged, newest first", async () => {
    const f = frame(admin);
    await f.locator("#bl-tab-events").click();
    await f.locator("#bl-events tbody tr td.bl-message").first().waitFor();
    const ev = await guest("events", "--limit", "8");
    await until("the events table to match linkctl", async () => {
        const shown = await f.locator("#bl-events tbody tr td.bl-message").evaluateAll(ts => ts.slice(0, 8).map(t => t.textContent));
        return JSON.stringify(shown) === JSON.stringify(ev.map(e => e.message));
    }, 30000);
    assert.ok(ev.some(e => /image 'win10' renamed to 'win11'/.test(e.message)));
    await f.locator("#bl-event-filter").fill("pc09");
    await until("the filter", async () => (await f.locator("#bl-events tbody tr").count()) === 1, 10000);
    await f.locator("#bl-event-filter").fill("");
    await shot(admin, "console-events");
});

test("doctor: the checks with their advice", async () => {
    const f = frame(admin);
    await f.locator("#bl-tab-doctor").click();
    await f.locator("#bl-doctor tbody tr").first().waitFor({ timeout: 120000 });
    const d = await request("linkctl --json doctor");       // exits 1: a check fails (no dnsmasq)
    const doc = JSON.parse(d.output.slice(d.output.indexOf("{")));
    const shown = await f.locator("#bl-doctor tbody tr").evaluateAll(rs => rs.map(r => [r.dataset.check, r.dataset.result]));
    assert.deepEqual(shown, doc.checks.map(c => [c.check, c.result]));
    const dns = f.locator('#bl-doctor tr[data-check="dnsmasq"]');
    assert.equal(await dns.getAttribute("data-result"), "fail");
    assert.match(await dns.locator(".bl-fix").textContent(), /dnsmasq/);
    assert.equal(await f.locator('#bl-doctor tr[data-check="lio"]').getAttribute("data-result"), "ok");
    assert.match(await f.locator("#bl-doctor-summary").textContent(), new RegExp(`${doc.failed} failed`));
    await shot(admin, "console-doctor");
});

test("screenshot of the clients page at 1366x768", async () => {
    const f = frame(admin);
    await f.locator("#bl-tab-clients").click();
    await row(f, A).locator(".bl-state", { hasText: "online" }).waitFor();
    await until("pc01's read rate", async () => /\/s$/.test((await row(f, A).locator(".bl-read-rate").textContent()).trim()), 60000);
    // the page fits the frame's width at 1366x768: no horizontal scrolling
    const over = await admin.frame({ name: "cockpit1:localhost/bootlink" }).evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(over <= 0, `the page is ${over}px wider than its frame`);
    await shot(admin, "console-clients");
    assert.deepEqual(admin.errors, [], "no script errors in the page");
});

test("a user without administrative access: the page refuses to act", async () => {
    const before = await guest("events", "--limit", "1");
    const page = await login("blviewer");
    await page.goto(URL + "/bootlink");
    const f = frame(page);
    const refusal = f.locator(".bl-refusal");
    await refusal.waitFor();
    // Cockpit's own refusal of the superuser spawn, as the page reports it
    assert.match(await refusal.textContent(), /Cockpit refused to run linkctl for this session: Not permitted to perform this action\./);
    await f.getByText("Administrative access required").waitFor();
    assert.equal(await f.locator("#bl-clients tbody tr[data-mac]").count(), 0, "no client is shown");
    assert.equal(await f.locator("#bl-add-client").isDisabled(), true, "Add client is disabled");
    for (const tab of ["images", "events", "doctor"]) {
        await f.locator(`#bl-tab-${tab}`).click();
        await refusal.waitFor();
        assert.equal(await f.locator(".bl-main").isHidden(), true, `${tab}: nothing to act on`);
    }
    await shot(page, "console-refused");
    const after = await guest("events", "--limit", "1");
    assert.deepEqual(after, before, "nothing changed in bootlink");
    await page.context().close();
});
