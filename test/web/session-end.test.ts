/**
 * The web app's API client when the server forgets a session (src/web/app/api.ts): sessions live in
 * the API's memory, so a restarted `npm start` answers 401 for the session a page still holds. The
 * client must say so (SESSION_ENDED, in words) and tell the shell, which returns to sign-in; a 401
 * to a request sent without a session (or a refused signature) is not a session ending.
 */
import { describe, it, expect, afterAll } from "vitest";
import type { FastifyInstance } from "fastify";
import { ledgerFixture } from "../helpers/fixture";
import { buildApi, sessionFor } from "../helpers/api-fixture";
import { ApiFailure, SESSION_ENDED_WORDS, api, apiAs, endsSession, onSessionEnded, setSession } from "../../src/web/app/api";

const apps: FastifyInstance[] = [];
async function serve(app: FastifyInstance): Promise<string> {
  apps.push(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const a = app.server.address() as { port: number };
  return `http://127.0.0.1:${a.port}`;
}

describe("web app: a session the server no longer knows", () => {
  afterAll(async () => void (await Promise.all(apps.map((a) => a.close()))));

  it("only a 401 UNAUTHENTICATED to a request that carried a session ends it", () => {
    expect(endsSession(401, "UNAUTHENTICATED", true)).toBe(true);
    expect(endsSession(401, "UNAUTHENTICATED", false)).toBe(false);
    expect(endsSession(401, "SIWE_INVALID", true)).toBe(false);
    expect(endsSession(403, "FORBIDDEN", true)).toBe(false);
  });

  it("after a restart the API answers 401 for the page's session: the client names it SESSION_ENDED in words and tells the shell; an older session's late 401 does not", async () => {
    const l = await ledgerFixture();
    const first = await buildApi(l);
    const before = await serve(first.app);
    const session = await sessionFor(first.app, l.patient);
    const heard: string[] = [];
    onSessionEnded((words) => void heard.push(words));
    // The page holds the session (as after sign-in).
    setSession(session);
    try {
      expect(await api<{ address: string }>(`${before}/auth/me`)).toMatchObject({ address: l.patient.address });
      // The server restarts: a new process, the same ledger, no sessions in memory.
      await first.app.close();
      const after = await serve((await buildApi(l)).app);
      const refused = await api(`${after}/auth/me`).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ApiFailure);
      expect(refused).toMatchObject({ code: "SESSION_ENDED", status: 401, message: SESSION_ENDED_WORDS });
      expect(heard).toEqual([SESSION_ENDED_WORDS]);
      expect(SESSION_ENDED_WORDS).toMatch(/^Your session ended \(the server restarted.*\); sign in again\.$/);
      // Without a session a 401 is "sign in first", not a session lost: the shell hears nothing.
      const anonymous = await apiAs(undefined, `${after}/auth/me`).catch((e: unknown) => e);
      expect(anonymous).toMatchObject({ code: "UNAUTHENTICATED", status: 401 });
      expect(heard).toHaveLength(1);
      // Signed in again: a late 401 to the old session (a switch still polling under it) is named, but does not sign the new one out.
      setSession(await sessionFor(apps[apps.length - 1], l.patient));
      expect(await apiAs(session, `${after}/auth/me`).catch((e: unknown) => e)).toMatchObject({ code: "SESSION_ENDED" });
      expect(heard).toHaveLength(1);
    } finally {
      onSessionEnded(undefined);
      setSession(undefined);
    }
  });
});
