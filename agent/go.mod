module code-sandbox/agent

go 1.19
