import { Cleanup, startPostgres } from '/work/wt-2pc/scripts/bench/bench-infra';
import { createServiceDatabases } from '/work/wt-2pc/scripts/bench-2pc/service-databases';
import { COORDINATOR_LOG_SQL } from '/work/wt-2pc/scripts/bench-2pc/coordinator';
import { coordinatorKill } from '/work/wt-2pc/scripts/bench-2pc/failure';
import { Client } from 'pg';
(async () => {
  const cleanup = new Cleanup();
  try {
    const pg = await startPostgres(cleanup, ['-c', 'max_prepared_transactions=100']);
    const s = await createServiceDatabases(pg.adminUrl, 5);
    const logUrl = await pg.createDatabase('twopc_coordinator');
    const c = new Client({ connectionString: logUrl }); await c.connect(); await c.query(COORDINATOR_LOG_SQL); await c.end();
    const r = await coordinatorKill({ serviceUrls: s.map((x) => x.url), logUrl, recoverAfterMs: 2000, cleanup });
    console.log(JSON.stringify(r, null, 1));
  } catch (e) { console.error(e); } finally { await cleanup.runAll(); }
})();
