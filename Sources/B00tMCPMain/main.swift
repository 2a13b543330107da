import B00tCLI

await CommandMain.run(B00tMCPRoot.self)
