package httpapi

import (
	"encoding/json"
	"time"

	"github.com/hiretrack/hiretrack"
)

// gmtLayout is the second accepted form of start_date and expiry_date,
// read as GMT, a form that some assessment-invite APIs use.
const gmtLayout = "2006-01-02 15:04"

// acceptedTimeForms names the accepted forms in error messages.
const acceptedTimeForms = `RFC 3339 with an offset, such as "2026-03-10T09:00:00+01:00" or "2026-03-10T08:00:00Z", ` +
	`or "YYYY-MM-DD HH:MM" read as GMT, such as "2026-03-10 08:00"`

// Time reads an optional time in one of the accepted forms; nil when absent.
func (o *object) Time(name string) *time.Time {
	v := o.raw(name)
	if v == nil {
		return nil
	}
	var text string
	if err := json.Unmarshal(v, &text); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %s; it must be a string in %s", o.prefix, name, clip(v), acceptedTimeForms)
		return nil
	}

	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		t, err = time.ParseInLocation(gmtLayout, text, time.UTC)
	}
	if err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %s; use %s", o.prefix, name, clip(v), acceptedTimeForms)
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	return &t
}

// OptionalInt reads an optional whole number in [min, max]; def when absent.
func (o *object) OptionalInt(name string, min, max, def int) int {
	v := o.raw(name)
	if v == nil {
		return def
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %s; it must be a whole number", o.prefix, name, clip(v))
		return def
	}
	if n < min || n > max {
		o.fail(hiretrack.KindUnprocessable, name, "out_of_range", "%s%s is %d; it must be between %d and %d",
			o.prefix, name, n, min, max)
		return def
	}
	return n
}

// readWindow reads start_date and expiry_date and checks that the expiry
// is in the future and after the start.
func (s *Server) readWindow(body *object) hiretrack.LinkWindow {
	w := hiretrack.LinkWindow{StartsAt: body.Time("start_date"), ExpiresAt: body.Time("expiry_date")}
	if body.Err() != nil || w.ExpiresAt == nil {
		return w
	}
	if !w.ExpiresAt.After(s.now()) {
		body.fail(hiretrack.KindUnprocessable, "expiry_date", "invalid_value",
			"expiry_date is %s, which is not in the future", w.ExpiresAt.Format(time.RFC3339))
	} else if w.StartsAt != nil && !w.ExpiresAt.After(*w.StartsAt) {
		body.fail(hiretrack.KindUnprocessable, "expiry_date", "invalid_value",
			"expiry_date is %s, which is not after start_date %s", w.ExpiresAt.Format(time.RFC3339), w.StartsAt.Format(time.RFC3339))
	}
	return w
}

// addWindow adds start_date and expiry_date, in UTC, to a response body
// when the request set either of them.
func addWindow(out map[string]any, w hiretrack.LinkWindow, startsAt *time.Time, expiresAt time.Time) {
	if w.StartsAt == nil && w.ExpiresAt == nil {
		return
	}
	out["start_date"] = utcOrNil(startsAt)
	out["expiry_date"] = expiresAt.UTC()
}

func utcOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}
