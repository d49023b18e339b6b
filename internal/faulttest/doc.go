// Package faulttest proves leadbox's promises under faults and load: it
// builds the real leadbox binary, starts it as separate processes on SQLite
// and PostgreSQL, and kills them, takes their database away, fills their
// disk, floods them and trickles slow clients at them, then reads the
// database to check that every lead answered 201 is there exactly once.
//
// The tests carry the build tag "fault" so that the everyday go test ./...
// stays quick; CI runs them with
//
//	go test -tags fault -count=1 -timeout 12m ./internal/faulttest/
//
// Some of them need root (a tmpfs for the full disk, runuser for a private
// PostgreSQL instance) and LEADBOX_TEST_POSTGRES; without either they skip,
// or fail under CI=true. LEADBOX_FAULT_SOAK sets how long the sustained-load
// test runs per configuration (default 30s). docs/reliability.md lists the
// promises and the test that proves each.
package faulttest
