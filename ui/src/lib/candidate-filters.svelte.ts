import type { CandidateSort } from "../ipc/bindings/CandidateSort";
import type { ListStatus } from "../ipc/bindings/ListStatus";

/** The candidate list's search, filters and order, kept while the recruiter visits other screens. */
export const filters = $state({
  search: "",
  jobId: null as number | null,
  stageId: null as number | null,
  status: null as ListStatus | null,
  /** `null`: newest applications first. */
  sort: null as CandidateSort | null,
  descending: false,
});

/** Sorts by `column`, or reverses the order when the list is already sorted by it. */
export function sortBy(column: CandidateSort) {
  if (filters.sort === column) {
    filters.descending = !filters.descending;
  } else {
    filters.sort = column;
    filters.descending = false;
  }
}
