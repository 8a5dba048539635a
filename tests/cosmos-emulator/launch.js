// Starts @vercel/cosmosdb-server for the Cosmos store tests, with two fixes to the stock CLI:
// connections are kept alive (the CLI closes each one, which makes every request a new TLS handshake), and a read
// of a missing item answers 404 NotFound as Cosmos DB does (the stock handler fails with 500 on it).
// Listens on 127.0.0.1 only; prints "listening on PORT" once ready. Usage: node launch.js [port]
"use strict";
const readDocument = require("@vercel/cosmosdb-server/lib/handler/read-document");
const partition = require("@vercel/cosmosdb-server/lib/utils/get-partition-from-header");

const stockRead = readDocument.default;
readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  const header = partition.default(req);
  if (collection.read() && header !== undefined) {
    const key = partition.parsePartitionKey(header, params.docId);
    if (collection.document(params.docId, key).read() === undefined) {
      res.statusCode = 404;
      return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
    }
  }
  return stockRead(account, req, res, params);
};

// Loaded after the patch: the route table takes the handler when it is built.
const { createHttpsServer } = require("@vercel/cosmosdb-server");
const port = parseInt(process.argv[2] || "0", 10);
const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 60000;
server.listen(port, "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
});
// The test process owns us: end when it closes our standard input or goes away.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
