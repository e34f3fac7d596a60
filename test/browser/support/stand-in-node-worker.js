// The `node` of the in-page stand-in of @webcontainer/api: one Worker per process,
// running a CommonJS program with a small `process`/`console`/`require` shim. It
// exits when nothing is left to wait for (timers, stdin listeners, servers), as
// Node does, and models a process on a terminal: `isTTY`, columns and rows.
// It is a test double, not Node: only what the tests' programs use is here.

const real = { setTimeout: setTimeout.bind(self), clearTimeout: clearTimeout.bind(self), setInterval: setInterval.bind(self), clearInterval: clearInterval.bind(self) };
let handles = 0; // what keeps the process alive, as Node's ref'd handles do
let finished = false;
const timers = new Map();
const listeners = new Map(); // target → event → listeners, for process and its streams

class ProcessExit extends Error {}

function post(message) {
  if (!finished) self.postMessage(message);
}

function out(text) {
  // A terminal's line discipline turns "\n" into "\r\n" (onlcr).
  post({ type: 'output', data: String(text).replace(/\r?\n/g, '\r\n') });
}

function finish(code) {
  if (finished) return;
  emit(process, 'exit', code);
  post({ type: 'exit', code });
  finished = true;
}

function checkAlive() {
  real.setTimeout(() => {
    if (!finished && handles <= 0) finish(process.exitCode ?? 0);
  }, 0);
}

function guarded(fn) {
  return (...args) => {
    if (finished) return;
    try {
      fn(...args);
    } catch (error) {
      if (!(error instanceof ProcessExit)) crash(error);
    }
    checkAlive();
  };
}

function crash(error) {
  out(`${error && error.stack ? error.stack : `Uncaught ${String(error)}`}\n`);
  finish(1);
}

function on(target, event, fn) {
  if (!listeners.has(target)) listeners.set(target, new Map());
  const events = listeners.get(target);
  events.set(event, [...(events.get(event) ?? []), fn]);
}

function emit(target, event, ...args) {
  for (const fn of listeners.get(target)?.get(event) ?? []) fn(...args);
}

function format(args) {
  return args.map((arg) => (typeof arg === 'string' ? arg : typeof arg === 'object' && arg !== null ? JSON.stringify(arg) : String(arg))).join(' ');
}

let terminal = { cols: 80, rows: 24 };

function stream(name) {
  const target = {
    isTTY: true,
    get columns() {
      return terminal.cols;
    },
    get rows() {
      return terminal.rows;
    },
    write(chunk, encoding, callback) {
      out(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (done) real.setTimeout(guarded(done), 0);
      return true;
    },
    on(event, fn) {
      on(target, event, fn);
      return target;
    },
    once(event, fn) {
      on(target, event, fn);
      return target;
    },
  };
  target.name = name;
  return target;
}

let stdinRef = false;
const stdin = {
  isTTY: true,
  on(event, fn) {
    on(stdin, event, fn);
    if (event === 'data' && !stdinRef) {
      stdinRef = true;
      handles++;
    }
    return stdin;
  },
  once(event, fn) {
    return stdin.on(event, fn);
  },
  setEncoding() {
    return stdin;
  },
  resume() {
    return stdin;
  },
  pause() {
    if (stdinRef) {
      stdinRef = false;
      handles--;
    }
    return stdin;
  },
};

const process = {
  argv: [],
  env: {},
  exitCode: undefined,
  pid: 42,
  platform: 'linux',
  version: 'v20.0.0-stand-in',
  stdout: stream('stdout'),
  stderr: stream('stderr'),
  stdin,
  cwdPath: '/',
  cwd: () => process.cwdPath,
  exit(code) {
    finish(code ?? process.exitCode ?? 0);
    throw new ProcessExit();
  },
  on(event, fn) {
    on(process, event, fn);
    return process;
  },
  once(event, fn) {
    return process.on(event, fn);
  },
};

const console = {
  log: (...args) => out(format(args) + '\n'),
  info: (...args) => out(format(args) + '\n'),
  warn: (...args) => out(format(args) + '\n'),
  error: (...args) => out(format(args) + '\n'),
};

function addTimer(repeat, callback, ms, args) {
  handles++;
  const wrapped = guarded(() => {
    if (!repeat) clearTimer(id);
    callback(...args);
  });
  const id = repeat ? real.setInterval(wrapped, ms) : real.setTimeout(wrapped, ms);
  timers.set(id, repeat);
  return id;
}

function clearTimer(id) {
  if (!timers.has(id)) return;
  (timers.get(id) ? real.clearInterval : real.clearTimeout)(id);
  timers.delete(id);
  handles--;
}

const http = {
  createServer(handler) {
    let listening = 0;
    const server = {
      listen(port, ...rest) {
        const callback = rest.find((arg) => typeof arg === 'function');
        listening = Number(port) || 3000;
        handles++;
        post({ type: 'listen', port: listening });
        if (callback) real.setTimeout(guarded(callback), 0);
        return server;
      },
      close(callback) {
        if (listening) {
          post({ type: 'unlisten', port: listening });
          listening = 0;
          handles--;
        }
        if (callback) real.setTimeout(guarded(callback), 0);
        checkAlive();
        return server;
      },
      on: () => server,
      handler,
    };
    return server;
  },
};

function require(name) {
  if (name === 'http' || name === 'node:http') return http;
  const error = new Error(`Cannot find module '${name}'\n(the stand-in's node has only the "http" module)`);
  error.code = 'MODULE_NOT_FOUND';
  throw error;
}

self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  crash(event.reason);
});

self.onmessage = ({ data }) => {
  if (data.type === 'run') {
    terminal = data.terminal;
    process.argv = data.argv;
    process.env = data.env;
    process.cwdPath = data.cwd;
    Object.assign(self, {
      setTimeout: (fn, ms, ...args) => addTimer(false, fn, ms, args),
      setInterval: (fn, ms, ...args) => addTimer(true, fn, ms, args),
      clearTimeout: clearTimer,
      clearInterval: clearTimer,
      process,
      console,
    });
    const module = { exports: {} };
    guarded(() => {
      new Function('require', 'module', 'exports', 'process', 'console', '__filename', '__dirname', data.code)(
        require, module, module.exports, process, console, data.filename, data.cwd,
      );
    })();
  } else if (data.type === 'stdin') {
    guarded(() => emit(stdin, 'data', data.data))();
  } else if (data.type === 'resize') {
    terminal = { cols: data.cols, rows: data.rows };
    guarded(() => emit(process.stdout, 'resize'))();
  }
};
