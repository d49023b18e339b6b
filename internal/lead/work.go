package lead

// Notes and tasks: what managers write on a lead while they work it.

// NoteEditWindow is how long, in seconds, the author of a note may change
// or delete it (an admin may delete any note at any time).
const NoteEditWindow = 15 * 60

// MaxNote is the longest note or task text, in characters.
const MaxNote = 4000

// Note is a manager's free text on a lead.
type Note struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"-"`
	LeadID    int64  `json:"leadId"`
	UserID    *int64 `json:"userId"` // the author; null when an API token without a user wrote it
	Text      string `json:"text"`
	Created   int64  `json:"dtCreate"`
	Updated   *int64 `json:"dtUpdate"` // last edit, null if never edited
}

// Editable reports whether the note is still inside its edit window at
// unix time now.
func (n Note) Editable(now int64) bool { return now-n.Created < NoteEditWindow }

// Task is something to do about a lead by a due time ("перезвонить в
// 18:00"), for one user of the account.
type Task struct {
	ID         int64  `json:"id"`
	AccountID  int64  `json:"-"`
	LeadID     int64  `json:"leadId"`
	Text       string `json:"text"`
	Due        int64  `json:"dtDue"`
	AssigneeID *int64 `json:"userIdAssignee"`
	CreatedBy  *int64 `json:"userIdCreate"`
	Created    int64  `json:"dtCreate"`
	Updated    int64  `json:"dtUpdate"`
	Done       *int64 `json:"dtDone"` // when marked done; null while open
	DoneBy     *int64 `json:"userIdDone"`
	Overdue    bool   `json:"overdue"` // open and past its due time when read
}
