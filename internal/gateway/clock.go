package gateway

import (
	"fmt"
	"net/http"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// maxClockAdvance caps one POST /_niwa/clock/advance: past a year and a
// bit every expiry, retention and deletion window AWS has is over, and a
// cap keeps a typo ("9999999h") from pushing niwa past year 2262, where
// time.Time arithmetic in Duration overflows.
const maxClockAdvance = 400 * 24 * time.Hour

// clockTime is the answer of GET /_niwa/clock and of an advance.
type clockTime struct {
	Now string `json:"now"`
}

// clockNow answers GET /_niwa/clock: the time every service reads.
func (g *Gateway) clockNow(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, clockError("GET /_niwa/clock answers niwa's time; POST /_niwa/clock/advance?by=DURATION moves it"))
		return
	}
	writeJSON(w, http.StatusOK, clockTime{Now: formatClock(g.cfg.Clock.Now())})
}

// clockAdvance answers POST /_niwa/clock/advance?by=DURATION: it moves
// niwa's clock forward (never back), firing every timer, schedule and
// expiry now due, and answers the new time.
func (g *Gateway) clockAdvance(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, clockError("POST /_niwa/clock/advance?by=DURATION moves niwa's clock forward"))
		return
	}
	adv, ok := g.cfg.Clock.(clock.Advancer)
	if !ok {
		writeJSON(w, http.StatusConflict, clockError("this niwa's clock cannot be moved"))
		return
	}
	by := r.URL.Query().Get("by")
	d, err := parseAdvance(by)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, clockError(err.Error()))
		return
	}
	before := adv.Now()
	adv.Advance(d)
	after := adv.Now()
	g.cfg.Log.Info("clock advanced", "by", d.String(), "from", formatClock(before), "to", formatClock(after))
	writeJSON(w, http.StatusOK, clockTime{Now: formatClock(after)})
}

// parseAdvance reads the by parameter: a positive Go duration ("90s",
// "15m", "36h") of at most maxClockAdvance.
func parseAdvance(by string) (time.Duration, error) {
	if by == "" {
		return 0, fmt.Errorf("missing by: give a duration such as ?by=15m or ?by=36h")
	}
	d, err := time.ParseDuration(by)
	if err != nil {
		return 0, fmt.Errorf("by=%q is not a duration such as 15m or 36h", by)
	}
	if d <= 0 {
		return 0, fmt.Errorf("by=%q: the clock only moves forward; give a positive duration", by)
	}
	if d > maxClockAdvance {
		return 0, fmt.Errorf("by=%q: at most %s (400 days) in one advance", by, maxClockAdvance)
	}
	return d, nil
}

func clockError(msg string) map[string]string { return map[string]string{"error": msg} }

func formatClock(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
