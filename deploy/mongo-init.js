// Initialises the replica set rs0 once (docker-compose.yml, service
// mongo-init). Run again, it only waits for a primary, so restarts are safe.
const members = [
  { _id: 0, host: "mongo1:27017", priority: 2 },
  { _id: 1, host: "mongo2:27017", priority: 1 },
  { _id: 2, host: "mongo3:27017", priority: 1 },
];
try {
  rs.status();
  print("rs0 already initialised");
} catch (e) {
  if (e.codeName !== "NotYetInitialized") throw e;
  rs.initiate({ _id: "rs0", members: members });
  print("rs0 initialised");
}
for (let i = 0; i < 60; i++) {
  if (db.hello().isWritablePrimary || rs.status().members.some((m) => m.stateStr === "PRIMARY")) {
    print("rs0 has a primary");
    quit(0);
  }
  sleep(1000);
}
print("rs0 has no primary after 60 s");
quit(1);
