export const id = 863;
export const ids = [863];
export const modules = {

/***/ 83863:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   writeDockerArchive: () => (/* binding */ writeDockerArchive),
/* harmony export */   writeOciArchive: () => (/* binding */ writeOciArchive)
/* harmony export */ });
/* unused harmony exports dockerSaveManifest, platformManifest */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(73024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(46466);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_stream_promises__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var _model_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(76244);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(25823);
/**
 * Archives made from an OCI image layout (what buildx's oci exporter writes with tar=false),
 * for the gate on an engine with the classic image store, which cannot load a
 * multi-platform OCI layout ("docker load" wants the `docker save` form there):
 * - one platform's image in `docker save` form, under a local name; the classic store
 *   gives it the config digest as image ID, so what runs is provably the layout's image;
 * - the whole layout as an OCI archive, for a scanner's {oci}.
 */







/** `docker save`'s manifest.json for one image: its config and layers by path in the archive. */
function dockerSaveManifest(manifest, repoTag) {
    const file = (descriptor) => `blobs/${descriptor.digest.replace(':', '/')}`;
    return JSON.stringify([{ Config: file(manifest.config), RepoTags: [repoTag], Layers: manifest.layers.map(file) }]);
}
/** The image manifest of `platform` (`os/arch[/variant]`) in the layout's image. */
async function platformManifest(layoutDir, platform) {
    const { image } = await (0,_layout_js__WEBPACK_IMPORTED_MODULE_5__/* .readOciLayout */ .I$)(layoutDir);
    const manifests = await (0,_layout_js__WEBPACK_IMPORTED_MODULE_5__/* .loadManifests */ .DD)(layoutDir, image);
    const root = manifests.get(image.digest)?.document;
    const digest = root && (0,_model_js__WEBPACK_IMPORTED_MODULE_4__/* .isIndexType */ .$U)(image.mediaType) ? (0,_model_js__WEBPACK_IMPORTED_MODULE_4__/* .imageEntries */ .Io)(root.manifests).find((entry) => entry.platform === platform)?.digest : image.digest;
    const manifest = digest === undefined ? undefined : manifests.get(digest)?.document;
    if (!digest || !manifest)
        throw new Error(`the OCI layout ${layoutDir} has no image for ${platform}`);
    return { digest, manifest: manifest };
}
/** Adds one file to the archive, streamed. */
function addFile(pack, name, file, size) {
    return new Promise((resolve, reject) => {
        const entry = pack.entry({ name, size }, (error) => (error ? reject(error) : resolve()));
        (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_3__.pipeline)((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.createReadStream)(file), entry).catch(reject);
    });
}
async function writeTar(file, fill) {
    // Loaded on first use: only the gate on the classic image store writes archives.
    const { pack: createPack } = await __webpack_require__.e(/* import() */ 118).then(__webpack_require__.t.bind(__webpack_require__, 56118, 19));
    const pack = createPack();
    const written = (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_3__.pipeline)(pack, (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.createWriteStream)(file, { mode: 0o600 }));
    try {
        await fill(pack);
        pack.finalize();
    }
    catch (error) {
        pack.destroy(error instanceof Error ? error : new Error(String(error)));
    }
    await written;
}
/**
 * Writes `platform`'s image of the layout as a `docker save` archive named `repoTag`;
 * returns the image ID the classic store will give it (its config digest).
 */
async function writeDockerArchive(layoutDir, platform, repoTag, file) {
    const { manifest } = await platformManifest(layoutDir, platform);
    await writeTar(file, async (pack) => {
        pack.entry({ name: 'manifest.json' }, dockerSaveManifest(manifest, repoTag));
        for (const descriptor of [manifest.config, ...manifest.layers]) {
            await addFile(pack, `blobs/${descriptor.digest.replace(':', '/')}`, (0,_layout_js__WEBPACK_IMPORTED_MODULE_5__/* .blobPath */ .nD)(layoutDir, descriptor.digest), descriptor.size);
        }
    });
    return manifest.config.digest;
}
/** Writes the whole layout folder as an OCI archive (a tar of it, as `docker save` makes on the containerd store). */
async function writeOciArchive(layoutDir, file) {
    const files = (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(layoutDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    await writeTar(file, async (pack) => {
        for (const entry of files) {
            const full = node_path__WEBPACK_IMPORTED_MODULE_2__.join(entry.parentPath, entry.name);
            await addFile(pack, node_path__WEBPACK_IMPORTED_MODULE_2__.relative(layoutDir, full), full, (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.stat)(full)).size);
        }
    });
}


/***/ })

};
