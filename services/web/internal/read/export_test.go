package read

// Internals the external tests check directly.
var UUIDV7Time = uuidV7Time

// ReportIDWindow is how far a report's time may lie from its id's.
const ReportIDWindow = reportIDWindow

// Settle waits for the cache's running load, if any, to end.
func (c *Cache[T]) Settle() {
	c.mu.Lock()
	f := c.loading
	c.mu.Unlock()
	if f != nil {
		<-f.done
	}
}
