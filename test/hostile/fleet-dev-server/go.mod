module fleetdevserver

go 1.19
