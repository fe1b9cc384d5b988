// The host side of bench/fake-process.js: start the fake in a child process and call it.
import { fork } from 'node:child_process';
import { once } from 'node:events';

export async function startRemoteFake() {
  const child = fork(new URL('./fake-process.js', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [{ endpoints }] = await once(child, 'message');
  let seq = 0;
  const call = (cmd, ...args) =>
    new Promise((resolve) => {
      const id = ++seq;
      const onMessage = (msg) => {
        if (msg.id !== id) return;
        child.off('message', onMessage);
        resolve(msg.result);
      };
      child.on('message', onMessage);
      child.send({ id, cmd, args });
    });
  return {
    endpoints,
    call,
    close: async () => {
      await call('close');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
