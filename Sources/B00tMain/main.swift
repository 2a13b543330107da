import B00tCLI

await B00t.start()
