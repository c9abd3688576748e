/* ==== bridge.js: the host bridge, shared by every view (inlined by views.ViewSpec.read) ====
   The view's side of MCP Apps (SEP-1865, protocol 2026-01-26): JSON-RPC 2.0 over postMessage
   with window.parent. A view calls connectHost(app) once, when it is ready for data:
   - it listens to the host, then sends ui/initialize and, once answered,
     ui/notifications/initialized and app.onConnected(host);
   - it hands the host's notifications to app.onToolInput(arguments), app.onToolResult(result),
     app.onToolCancelled(reason) and app.onHostContext(context) (each optional);
   - it answers ping with {}, ui/resource-teardown with {} after app.onTeardown(), and any other
     request with -32601;
   - it follows the host's theme and style variables (on <html>) and reports the document's size;
   - it tells app.onStatus(text, isError) what a person should know: a call the host cancelled
     (unless the view has onToolCancelled), a host that refused the view, a page outside a host.
   It returns the host: { ready, context, capabilities, request(method, params, timeoutMs),
   callTool(name, args) }. sizeSoon() asks for a size report on the next frame (after a change). */
const { connectHost, sizeSoon } = (() => {
  let app = {};
  let ready = false,
    context = {},
    capabilities = {};

  // ---- JSON-RPC over postMessage -----------------------------------------------------------
  let nextId = 1;
  const pending = new Map();
  const post = (msg) => window.parent.postMessage(msg, "*");
  const notify = (method, params) => post({ jsonrpc: "2.0", method, params: params || {} });
  const tell = (text, isError) => app.onStatus?.(text, isError);
  function request(method, params, timeoutMs) {
    const id = nextId++;
    post({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => {
      const timer = timeoutMs
        ? setTimeout(() => {
            pending.delete(id);
            reject(new Error("no answer from the host"));
          }, timeoutMs)
        : 0;
      pending.set(id, { resolve, reject, timer });
    });
  }
  const notifications = {
    "ui/notifications/tool-input": (p) => app.onToolInput?.(p.arguments || {}),
    "ui/notifications/tool-result": (p) => app.onToolResult?.(p),
    "ui/notifications/tool-cancelled": (p) =>
      app.onToolCancelled
        ? app.onToolCancelled(p.reason)
        : tell(`The call was cancelled${p.reason ? `: ${p.reason}` : "."}`),
    "ui/notifications/host-context-changed": (p) => {
      context = Object.assign({}, context, p);
      applyContext();
      if (app.onHostContext) app.onHostContext(context);
    },
  };
  function onMessage(event) {
    if (event.source !== window.parent) return;
    const m = event.data;
    if (!m || typeof m !== "object" || m.jsonrpc !== "2.0") return;
    if (typeof m.method !== "string") {
      // a response to one of our requests
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(new Error(m.error.message || `error ${m.error.code}`));
      else p.resolve(m.result);
      return;
    }
    if (m.id !== undefined && m.id !== null) {
      // a request from the host
      if (m.method === "ping") post({ jsonrpc: "2.0", id: m.id, result: {} });
      else if (m.method === "ui/resource-teardown") {
        if (app.onTeardown) app.onTeardown();
        post({ jsonrpc: "2.0", id: m.id, result: {} });
      } else
        post({
          jsonrpc: "2.0",
          id: m.id,
          error: { code: -32601, message: `Method not found: ${m.method}` },
        });
      return;
    }
    const h = notifications[m.method];
    if (h) h(m.params || {});
  }

  // ---- theme and size ----------------------------------------------------------------------
  let applied = new Set();
  function applyContext() {
    const root = document.documentElement,
      c = context;
    const theme =
      c.theme === "dark" || c.theme === "light"
        ? c.theme
        : window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches
          ? "dark"
          : "light";
    root.dataset.theme = theme;
    root.style.colorScheme = theme;
    const vars = c.styles?.variables || {};
    for (const name of applied) if (!(name in vars)) root.style.removeProperty(name);
    applied = new Set();
    for (const [name, value] of Object.entries(vars)) {
      if (name.startsWith("--") && typeof value === "string" && value) {
        root.style.setProperty(name, value);
        applied.add(name);
      }
    }
    sizeSoon();
  }
  let lastW = 0,
    lastH = 0,
    frame = 0;
  function sendSize() {
    if (!ready) return;
    const w = Math.ceil(window.innerWidth),
      h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (w === lastW && h === lastH) return;
    lastW = w;
    lastH = h;
    notify("ui/notifications/size-changed", { width: w, height: h });
  }
  function sizeSoon() {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(sendSize);
  }

  // ---- the handshake -----------------------------------------------------------------------
  function connectHost(handlers) {
    app = handlers || {};
    window.addEventListener("message", onMessage);
    if (window.ResizeObserver) {
      const ro = new ResizeObserver(sizeSoon);
      ro.observe(document.documentElement);
      ro.observe(document.body);
    }
    applyContext();
    const host = {
      get ready() {
        return ready;
      },
      get context() {
        return context;
      },
      get capabilities() {
        return capabilities;
      },
      request,
      callTool: (name, args) => request("tools/call", { name, arguments: args }, 60000),
    };
    if (window.parent === window) {
      tell("This view is shown by an MCP host that renders MCP Apps.");
      return host;
    }
    request("ui/initialize", {
      protocolVersion: "2026-01-26",
      appInfo: { name: app.name, version: app.version || "1.0.0" },
      appCapabilities: { availableDisplayModes: ["inline"] },
    }).then(
      (res) => {
        res = res || {};
        context = Object.assign({}, res.hostContext || {});
        capabilities = res.hostCapabilities || {};
        ready = true;
        applyContext();
        notify("ui/notifications/initialized", {});
        if (app.onConnected) app.onConnected(host);
        sendSize();
      },
      (err) => tell(`The host refused to start this view: ${err.message}`, true),
    );
    return host;
  }

  return { connectHost, sizeSoon };
})();
