// Package mask hides most of a personal identifier for display: on screens,
// in exports for people who need to recognise a record but not read it, and
// in logs.
//
// Each function keeps a fixed, documented number of characters, replaces
// every other character with '*', and returns the same number of characters
// (runes) as it was given so that column layouts and log widths stay stable.
// Input that does not look like what the function expects is masked
// completely rather than guessed at: a value in the wrong field must not
// reveal more than a value in the right one.
//
// The package must never:
//   - reveal more of the input than its rule allows, whatever the input;
//   - be used to pseudonymise or anonymise data. Masked values collide
//     (many numbers share a mask) and keep enough to narrow a search, so they
//     are not fit to store, export as "anonymous", or join on;
//   - panic, allocate without bound, or depend on anything but its argument.
package mask
