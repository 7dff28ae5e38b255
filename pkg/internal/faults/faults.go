// Package faults is the queue of programmed misbehaviour that the local
// servers (localgh, localsts) share: each server has its own kinds of
// fault, but the same rules for which one a request meets.
package faults

import "sync"

// Queue holds faults in the order they were added. A fault applies to the
// next times requests it matches, or to every one when times is 0, until
// Clear; an endless fault shadows every later fault it matches. The zero
// value is an empty queue, safe for concurrent use.
type Queue[F any] struct {
	mu    sync.Mutex
	items []*item[F]
}

type item[F any] struct {
	fault F
	left  int // 0: endless
}

// Add queues f for the next times matching requests; times <= 0 means all.
func (q *Queue[F]) Add(f F, times int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, &item[F]{fault: f, left: max(times, 0)})
}

// Take consumes one use of the oldest fault for which match is true (nil
// matches every fault).
func (q *Queue[F]) Take(match func(F) bool) (F, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, it := range q.items {
		if match != nil && !match(it.fault) {
			continue
		}
		if it.left > 0 {
			it.left--
			if it.left == 0 {
				q.items = append(q.items[:i:i], q.items[i+1:]...)
			}
		}
		return it.fault, true
	}
	var none F
	return none, false
}

// Clear removes every fault.
func (q *Queue[F]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = nil
}

// Len is how many faults have uses left.
func (q *Queue[F]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
