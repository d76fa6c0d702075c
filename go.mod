module sohoa

go 1.26.8

require golang.org/x/text v0.43.0

require (
	github.com/mattn/go-sqlite3 v1.14.53 // indirect
	github.com/otiai10/gosseract/v2 v2.4.1 // indirect
	golang.org/x/image v0.47.0 // indirect
)
