package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// Backups are SQLite's: a PostgreSQL installation uses pg_dump.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	s, dsn := storetest.OpenDSN(t, "sqlite")
	f := fixtureOn(t, s, "Acme")
	for i := range 5 {
		f.add(t, contact("7999300000"+string(rune('0'+i)), ""))
	}
	dir := t.TempDir()
	dest := filepath.Join(dir, "copy.db")

	t.Run("backup of an open database", func(t *testing.T) {
		info, err := store.BackupSQLite(ctx, dsn, dest)
		if err != nil {
			t.Fatal(err)
		}
		if info.Leads != 5 || info.Bytes <= 0 || info.Path != dest {
			t.Fatalf("info %+v, want 5 leads in %s", info, dest)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*partial*")); len(left) > 0 {
			t.Fatalf("temporary files left: %v", left)
		}
	})
	t.Run("ErrDestExists", func(t *testing.T) {
		if _, err := store.BackupSQLite(ctx, dsn, dest); err == nil || !strings.Contains(err.Error(), "exists") {
			t.Fatalf("err %v, want a refusal to overwrite", err)
		}
	})
	t.Run("ErrInUse", func(t *testing.T) {
		// The store is open: the restore must neither run nor change it.
		if _, err := store.RestoreSQLite(ctx, dest, dsn); !errors.Is(err, store.ErrInUse) {
			t.Fatalf("err %v, want ErrInUse", err)
		}
		f.add(t, contact("79993000099", ""))
		if n := countRows(t, s, "SELECT count(*) FROM leads"); n != 6 {
			t.Fatalf("%d leads after the refused restore, want 6", n)
		}
	})
	t.Run("ErrNotLeadbox", func(t *testing.T) {
		junk := filepath.Join(dir, "junk.db")
		os.WriteFile(junk, []byte("not a database at all, just some text long enough"), 0o600)
		if _, err := store.RestoreSQLite(ctx, junk, filepath.Join(dir, "new.db")); err == nil {
			t.Fatal("restored from a file that is no database")
		}
	})
	t.Run("restore over a closed database", func(t *testing.T) {
		s.Close()
		info, err := store.RestoreSQLite(ctx, dest, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if info.Leads != 5 {
			t.Fatalf("restored %d leads, want the backup's 5", info.Leads)
		}
		s2, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if _, err := s2.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s2, "SELECT count(*) FROM leads"); n != 5 {
			t.Fatalf("%d leads in the restored database, want 5", n)
		}
	})
}
