// `npm run example:travel`: the flight service (FLIGHT_PORT, default 4001) and the hotel
// service (HOTEL_PORT, default 4002), data under TRAVEL_DATA_DIR (default examples/travel/.data).
// See examples/travel/README.md for the other settings and a walk-through with sagachart.
import { flightOptionsFromEnv, startFlightService } from './flight-service';
import { hotelOptionsFromEnv, startHotelService } from './hotel-service';
import { defaultDataDir, runFromCli } from './lib/cli';

runFromCli(async () => {
  const dataDir = defaultDataDir();
  const flight = await startFlightService(flightOptionsFromEnv(dataDir));
  try {
    const hotel = await startHotelService(hotelOptionsFromEnv(dataDir));
    console.log(`data in ${dataDir}`);
    return { flight, hotel };
  } catch (err) {
    await flight.close();
    throw err;
  }
});
