// `npm run example:travel`: the flight service (FLIGHT_PORT, default 4001), the hotel service
// (HOTEL_PORT, default 4002) and the insurance service (INSURANCE_PORT, default 4003), data
// under TRAVEL_DATA_DIR (default examples/travel/.data). See examples/travel/README.md for the
// other settings and a walk-through with sagachart.
import { flightOptionsFromEnv, startFlightService } from './flight-service';
import { hotelOptionsFromEnv, startHotelService } from './hotel-service';
import { insuranceOptionsFromEnv, startInsuranceService } from './insurance-service';
import { defaultDataDir, runFromCli } from './lib/cli';
import type { RunningService } from './lib/participant-http';

runFromCli(async () => {
  const dataDir = defaultDataDir();
  const started: Record<string, RunningService> = {};
  try {
    started.flight = await startFlightService(flightOptionsFromEnv(dataDir));
    started.hotel = await startHotelService(hotelOptionsFromEnv(dataDir));
    started.insurance = await startInsuranceService(insuranceOptionsFromEnv(dataDir));
  } catch (err) {
    await Promise.all(Object.values(started).map((s) => s.close()));
    throw err;
  }
  console.log(`data in ${dataDir}`);
  return started;
});
