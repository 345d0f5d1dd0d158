// Expectations (upstream ControllerExpectations): after a controller creates or deletes objects,
// it waits until its informer has seen those changes before deciding again, so a stale cache
// never makes it create or delete twice. Expectations expire, in case an event is lost.
export class Expectations {
  private readonly byKey = new Map<string, { adds: number; deletes: Set<string>; at: number }>();

  constructor(private readonly ttlMs = 5 * 60_000) {}

  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if ((e.adds <= 0 && e.deletes.size === 0) || Date.now() - e.at > this.ttlMs) return true;
    return false;
  }

  expect(key: string, adds: number, deleteUids: string[]): void {
    this.byKey.set(key, { adds, deletes: new Set(deleteUids), at: Date.now() });
  }

  observedAdd(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.adds--;
  }

  /** Lower the add expectation for creations that failed. */
  creationFailed(key: string, count: number): void {
    const e = this.byKey.get(key);
    if (e) e.adds -= count;
  }

  observedDelete(key: string, uid: string | undefined): void {
    if (uid) this.byKey.get(key)?.deletes.delete(uid);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}
