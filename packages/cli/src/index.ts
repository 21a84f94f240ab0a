/**
 * @pathgrad/cli: the `pathgrad` command line as a library (the bin is bin/pathgrad.mjs).
 *
 * @module @pathgrad/cli
 * @document ../README.md
 */
export { main, buildProgram } from './main.js';
export { METHODS, methodByName, resolveOptions, describeMethods, parseBaseline, type MethodSpec, type MethodOption, type MethodContext, type MethodOutput, type OptionValues, type OptionKind } from './methods.js';
export { loadModel, loadInputs, parseMnistSpec, ARCHS, type Arch, type LoadedModel, type LoadedInputs, type FloatDType } from './load.js';
export { UsageError, isBadInput, oneLine } from './errors.js';
export { writeFileAtomic, imageToMnist } from './files.js';
