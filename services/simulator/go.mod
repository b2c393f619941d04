module github.com/lapor/lapor/services/simulator

go 1.26.8

require github.com/lapor/lapor/services/shared v0.0.0

replace github.com/lapor/lapor/services/shared => ../shared
