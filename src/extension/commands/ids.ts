/**
 * Every command Distillery registers, by name, in one place: code refers to COMMANDS.startRun,
 * never to a string, and registry.ts registers only these. package.json's contributes.commands
 * lists exactly these ids (test/unit/extension/commandRegistry.test.ts compares the two). The
 * ids are a public contract (keybindings, tests, other extensions call them): never rename one.
 */
export const COMMANDS = {
  startRun: 'distillery.startRun',
  startSweep: 'distillery.startSweep',
  stopRun: 'distillery.stopRun',
  showEngineLog: 'distillery.showEngineLog',
  openDashboard: 'distillery.openDashboard',
  openConfusion: 'distillery.openConfusion',
  compareRuns: 'distillery.compareRuns',
  openSweep: 'distillery.openSweep',
  showExperiments: 'distillery.showExperiments',
  newKdJson: 'distillery.newKdJson',
  rerun: 'distillery.rerun',
  resumeRun: 'distillery.resumeRun',
  revealRunFolder: 'distillery.revealRunFolder',
  openRunKdJson: 'distillery.openRunKdJson',
  deleteRun: 'distillery.deleteRun',
  exportStudent: 'distillery.exportStudent',
  openRun: 'distillery.openRun',
  refreshRuns: 'distillery.refreshRuns',
  openModelDefinition: 'distillery.openModelDefinition',
  stopSweep: 'distillery.stopSweep',
  revealSweepFolder: 'distillery.revealSweepFolder',
  deleteSweep: 'distillery.deleteSweep',
  renameRun: 'distillery.renameRun',
  editRunTags: 'distillery.editRunTags',
  editRunNote: 'distillery.editRunNote',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];
