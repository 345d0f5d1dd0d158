// kite-bridge is not loaded into the kernel: it is a CNI executable that the node agent's CNI host
// runs. This module is what other code imports: the type name and the installer.
export { CNI_TYPE, IPAM_TYPE, DEFAULT_BRIDGE, DEFAULT_DATA_DIR } from './setup.js';
export { installCniBinaries, cniMainPath } from './install.js';
