// How an importer says how far it is: between steps it calls this with the steps done, the steps in
// all and what it is doing. The job that runs an import from the UI reports it as progress and may
// throw from it to cancel (jobs.cancel), so an importer calls it only where stopping writes nothing:
// before its one write transaction, never inside it.
export type ImportProgress = (done: number, total: number, message: string) => void;
