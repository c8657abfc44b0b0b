import type { StationLearner } from '../ports/station-learner.js';
import type { StationNews } from '../records/news.js';
import type { StationRecorder } from '../records/recorder.js';
import type { FromRadiusThread } from './radius-messages.js';

// What the RADIUS thread does with a station it hears of: an Access-Accept is recorded (keys
// derived, record committed: only then does the proxy relay the Accept) and announced to the
// main thread; accounting is passed on as it came. The proxy (adapters/radius) calls this
// through the StationLearner port.

/**
 * Records learned, posted to the main thread as one message per turn of the event loop: the
 * records of one group commit resolve together, and one message per record cost the RADIUS
 * thread more than the records' JSON itself.
 */
class LearnedOutbox {
  private json: string[] = [];
  private news: StationNews[] = [];

  constructor(private readonly post: (m: FromRadiusThread) => void) {}

  add(json: string, news: StationNews): void {
    if (this.json.length === 0) process.nextTick(() => this.flush());
    this.json.push(json);
    this.news.push(news);
  }

  flush(): void {
    if (this.json.length === 0) return;
    this.post({ type: 'learned', json: this.json, news: this.news });
    this.json = [];
    this.news = [];
  }
}

export class RadiusThreadLearner implements StationLearner {
  private readonly learned: LearnedOutbox;

  constructor(
    private readonly recorder: StationRecorder,
    private readonly post: (m: FromRadiusThread) => void,
  ) {
    this.learned = new LearnedOutbox(post);
  }

  async onAccessAccept(facts: Parameters<StationLearner['onAccessAccept']>[0]): Promise<void> {
    // The JSON the store was given: a string crosses threads as one copy, and the main thread
    // parses it once for its listeners.
    const { json, news } = await this.recorder.record(facts);
    this.learned.add(json, news);
  }

  onAccounting(facts: Parameters<StationLearner['onAccounting']>[0]): void {
    this.post({ type: 'accounting', facts });
  }

  /** Posts what is waiting now (at stop, after the recorder's last commit). */
  flush(): void {
    this.learned.flush();
  }
}
