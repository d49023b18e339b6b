package store

// GroupDuplicateLookup returns the statement the group commit looks up the
// duplicates of new leads with on the engine ("sqlite" or "postgres"), with
// its arguments for one lead, so that the benchmark harness can show its
// plan.
func GroupDuplicateLookup(engine string, account int64, phone, emailKey string) (string, []any) {
	if engine == "postgres" {
		return pgDupSQL, []any{[]int64{account}, []string{phone}, []string{emailKey}}
	}
	return sqliteDupSQL(1), []any{account, phone, emailKey}
}

// LeadListQuery returns the statement ListLeads runs on the engine
// ("sqlite" or "postgres") for the filter, with its arguments, so that the
// benchmarks can show its plan.
func LeadListQuery(engine string, accountID int64, f LeadFilter) (string, []any) {
	d := sqliteDialect
	if engine == "postgres" {
		d = postgresDialect
	}
	if f.Limit <= 0 {
		f.Limit = defaultPage
	}
	return listQuery(d, accountID, f, min(f.Limit, MaxPage))
}
