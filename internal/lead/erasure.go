package lead

// Erasing a person's data (152-FZ): an administrator names a subject by
// phone and/or email, and every lead of the account that holds them loses
// its personal data — the raw requests it came in, the answers kept for
// retries, its history's old values, notes and tasks — while its id, times,
// stage, source and counts stay for the reports. An Erasure records who did
// it, when, why and how many rows of each kind, for the act of destruction
// Roskomnadzor's order 179 (28.10.2022) asks for.

// ErasedText replaces a name, a note's or a task's text that was erased.
const ErasedText = "Данные удалены"

// Kinds of erasure.
const (
	ErasureSubject   = "subject"   // an administrator erased one person's data
	ErasureRetention = "retention" // raw requests older than the account's retention
)

// MaxErasureReason is the longest reason (basis) an erasure takes, in characters.
const MaxErasureReason = 1000

// Messages of erasures.
const (
	MsgErasureSelector = "Укажите телефон или email, данные которого нужно удалить."
	MsgRetentionRange  = "Срок хранения исходных запросов должен быть от 0 до %d дней."
)

// MaxRetentionDays bounds an account's retention of raw requests (ten years).
const MaxRetentionDays = 3650

// Erasure is one erasure of personal data. The subject is named only by
// keyed hashes of the normalised phone and email: neither the record nor
// an act drawn up from it holds them.
type Erasure struct {
	ID        int64         `json:"id"`
	AccountID int64         `json:"-"`
	Created   int64         `json:"dtCreate"`
	UserID    *int64        `json:"userId"`
	Actor     string        `json:"actor"`
	Kind      string        `json:"kind"`
	PhoneHash string        `json:"phoneHash"` // "" when the subject was not named by phone
	EmailHash string        `json:"emailHash"` // "" when the subject was not named by email
	Reason    string        `json:"reason"`
	LeadIDs   []int64       `json:"leadIds"`
	Counts    ErasureCounts `json:"counts"`
	// DryRun: nothing was changed; the counts are what an erasure would do now.
	DryRun bool `json:"dryRun"`
	// Purged is when the database's own copies of the old values were
	// cleared too (SQLite: the file rewritten by VACUUM and the WAL
	// truncated; PostgreSQL: the tables vacuumed); nil while that waits (a
	// large SQLite file is rewritten at night) or if it failed. The rows
	// themselves are erased either way.
	Purged *int64 `json:"dtPurged"`
}

// ErasureCounts are the rows an erasure changed or removed, by kind.
type ErasureCounts struct {
	Leads       int64 `json:"leads"`
	Clients     int64 `json:"clients"`
	Deliveries  int64 `json:"deliveries"`  // raw requests in the delivery log
	Idempotency int64 `json:"idempotency"` // answers kept for Idempotency-Key retries
	Events      int64 `json:"events"`      // history entries holding old values
	Jobs        int64 `json:"jobs"`        // queued event payloads holding old values
	Notes       int64 `json:"notes"`
	Tasks       int64 `json:"tasks"`
	ImportFiles int64 `json:"importFiles"` // spreadsheets waiting for import
}

// Total is the number of rows counted.
func (c ErasureCounts) Total() int64 {
	return c.Leads + c.Clients + c.Deliveries + c.Idempotency + c.Events + c.Jobs + c.Notes + c.Tasks + c.ImportFiles
}
