module github.com/lapor/lapor/api

go 1.26.8
