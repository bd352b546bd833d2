const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Flushes buffered spans on SIGTERM/SIGINT and when the event loop empties. If the application has no handler of
 * its own for the signal, the signal is raised again after the flush so the process still ends the default way;
 * if it has one, the application decides when to exit.
 */
export function installShutdownHandlers(shutdown: () => Promise<void>, log: (msg: string) => void = (m) => process.stderr.write(m + '\n')): void {
  let flushing: Promise<void> | undefined;
  const flush = () =>
    (flushing ??= shutdown().catch((err: unknown) => log(`[spyglass] flushing spans on exit failed: ${(err as Error)?.message ?? err}`)));

  for (const signal of SIGNALS) {
    const onSignal = () => {
      const appHandlesIt = process.listenerCount(signal) > 1;
      void flush().then(() => {
        if (appHandlesIt) return;
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
  process.once('beforeExit', () => void flush());
}
