/**
 * Loaded with `node --import` (through NODE_OPTIONS, so every child process gets it too): makes
 * every way of opening a network connection throw, and records each attempt in the file named
 * by NEPENTHE_NETWORK_TRAP_LOG. Used by tests/cli/offline.test.ts to prove that a whole audit
 * never touches the network. Local IPC (fork's channel, stdio pipes, Unix-domain sockets given
 * by path) is let through: it cannot leave the machine.
 */
import { appendFileSync } from 'node:fs';
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

const log = process.env.NEPENTHE_NETWORK_TRAP_LOG;

/** A Unix-domain socket or named pipe (a path): local IPC, which cannot reach the network. */
function isLocalPipe(args) {
  // net.Socket.prototype.connect is also called with Node's normalized form, [[options, cb]].
  const [first] = Array.isArray(args[0]) ? args[0] : args;
  if (typeof first === 'string') return Number.isNaN(Number(first));
  return typeof first === 'object' && first !== null && typeof first.path === 'string';
}

function trap(what, original) {
  return function trapped(...args) {
    // tsx, the development runner, talks to its own parent over a pipe in the temp folder.
    if (original && isLocalPipe(args)) return original.apply(this, args);
    const line = `${process.pid} ${what} ${JSON.stringify(args.filter((a) => typeof a !== 'function'))}\n${new Error().stack}\n`;
    if (log) appendFileSync(log, line);
    throw new Error(`network access attempted (${what}); Nepenthe must work offline`);
  };
}

net.Socket.prototype.connect = trap('net.Socket.connect', net.Socket.prototype.connect);
net.connect = trap('net.connect', net.connect);
net.createConnection = trap('net.createConnection', net.createConnection);
tls.connect = trap('tls.connect');
for (const [name, module] of [
  ['http', http],
  ['https', https],
]) {
  module.request = trap(`${name}.request`);
  module.get = trap(`${name}.get`);
}
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'lookupService']) {
  dns[name] = trap(`dns.${name}`);
  dns.promises[name] = trap(`dns.promises.${name}`);
}
dgram.createSocket = trap('dgram.createSocket');
globalThis.fetch = trap('fetch');
if (globalThis.WebSocket) globalThis.WebSocket = trap('WebSocket');
