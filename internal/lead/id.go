package lead

import "strconv"

// ParseID reads a row id from a URL path: a positive integer. Anything else
// names no row, so it is not found, like a row of another account.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, Errorf(ENotFound, "id", "Не найдено.")
	}
	return id, nil
}
