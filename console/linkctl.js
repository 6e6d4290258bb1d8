// bootlink's only interface from the page: `linkctl --json ...` run by Cockpit's bridge as root
// (superuser: "require"). The page never reads the database or any file itself. Without
// administrative access in this session Cockpit refuses the spawn ("access-denied"), and the
// page says so instead of acting.
import { LineSplitter } from "./format.js";

const cockpit = window.cockpit;

function parse(out) {
    try {
        return out ? JSON.parse(out) : null;
    } catch (e) {
        return null;
    }
}

// Listeners told when Cockpit refuses for lack of administrative access.
const deniedListeners = [];
export const onDenied = f => deniedListeners.push(f);
function denied(problem, message) {
    for (const f of deniedListeners) f(problem, message);
}

// run(args) -> {ok, doc, error, problem}: doc is linkctl's JSON (null if it printed none);
// error the message to show when !ok.
export function run(args) {
    return new Promise(resolve => {
        cockpit.spawn(["linkctl", "--json", ...args], { superuser: "require", err: "message" })
            .then(out => resolve({ ok: true, doc: parse(out) }),
                  (ex, out) => {
                      const doc = parse(out);
                      if (ex.problem === "access-denied")
                          denied(ex.problem, cockpit.message(ex));
                      resolve({
                          ok: false,
                          doc,
                          problem: ex.problem || null,
                          exit: ex.exit_status ?? null,
                          error: (doc && doc.error) || (ex.problem ? cockpit.message(ex) : (ex.message || "").trim()) ||
                                 `linkctl ${args.join(" ")} failed (exit status ${ex.exit_status})`,
                      });
                  });
    });
}

// follow(onDoc, onEnd): `linkctl --json status --follow`; onDoc(doc) for every line (each is a
// whole status document), onEnd({problem, message}) when the process ends. Returns a stop().
export function follow(onDoc, onEnd, interval = 2) {
    const lines = new LineSplitter();
    let stopped = false;
    const proc = cockpit.spawn(["linkctl", "--json", "status", "--follow", "--interval", String(interval)],
                               { superuser: "require", err: "message" });
    proc.stream(chunk => {
        for (const line of lines.push(chunk)) {
            const doc = parse(line);
            if (doc && doc.clients) onDoc(doc);
            else if (doc && doc.ok === false) onEnd({ problem: null, message: doc.error });
        }
    });
    proc.then(() => { if (!stopped) onEnd({ problem: null, message: "linkctl status --follow ended" }); },
              ex => {
                  if (stopped) return;
                  if (ex.problem === "access-denied") denied(ex.problem, cockpit.message(ex));
                  onEnd({ problem: ex.problem || null, message: ex.problem ? cockpit.message(ex) : (ex.message || "linkctl status --follow failed") });
              });
    return () => { stopped = true; proc.close(); };
}

// The session's administrative access as Cockpit's bridge reports it: "none", "init" (being
// set up) or the method in use ("sudo", "root", ...). onChange(current) on every change.
export function superuser(onChange) {
    const proxy = cockpit.dbus(null, { bus: "internal" }).proxy("cockpit.Superuser", "/superuser");
    const tell = () => { if (proxy.valid) onChange(proxy.Current); };
    proxy.addEventListener("changed", tell);
    proxy.wait().then(tell, () => onChange(null));
}
