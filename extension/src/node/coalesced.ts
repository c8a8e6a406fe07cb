/**
 * A read that events ask for in bursts: run() starts it now, or, while one is in flight, queues
 * one more run after it (however many calls came meanwhile), so a burst costs at most two reads
 * and the last one sees everything the burst changed. Errors are swallowed: a read that failed
 * because the node went away is reported by the event stream's end.
 */
export class CoalescedRead {
  #running: Promise<void> | null = null;
  #again = false;

  constructor(private readonly read: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.read()
      .catch(() => undefined)
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          void this.run();
        }
      });
    return this.#running;
  }
}
