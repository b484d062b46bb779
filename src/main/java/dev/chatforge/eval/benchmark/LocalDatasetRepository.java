package dev.chatforge.eval.benchmark;

import ai.djl.Application;
import ai.djl.basicdataset.BasicDatasets;
import ai.djl.repository.AbstractRepository;
import ai.djl.repository.Artifact;
import ai.djl.repository.MRL;
import ai.djl.repository.Metadata;
import ai.djl.util.Progress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A folder a user already has (the unzipped WikiText-2 or Penn Treebank files), served to DJL's
 * datasets as their repository, so {@code WikiText2} and {@code PennTreebankText} read it the way
 * they read a download: nothing is fetched, copied or cached, and it works with DJL offline.
 *
 * <p>DJL's own repository describes each dataset by a metadata.json of artifacts whose items
 * the dataset asks for by key ({@code "wikitext-2"}: the unzipped folder; PTB: {@code "train"},
 * {@code "valid"}, {@code "test"}: one text file each). This repository answers the same keys with
 * the user's files; everything else (version resolution, download, cache) is not needed.
 */
final class LocalDatasetRepository extends AbstractRepository {
    /** DJL's artifact ids (basicdataset 0.35.1) and the items each dataset reads. */
    static final String WIKITEXT2 = "wikitext-2";
    static final String PTB = "penntreebank-unlabeled-processed";

    private final Path root;

    LocalDatasetRepository(Path root) {
        super("chatforge-local", root.toUri());
        this.root = root;
    }

    @Override
    public boolean isRemote() {
        return false;
    }

    @Override
    public Metadata locate(MRL mrl) {
        Metadata metadata = new Metadata();
        metadata.setGroupId(BasicDatasets.GROUP_ID);
        metadata.setArtifactId(mrl.getArtifactId());
        metadata.setApplication(Application.NLP.ANY);
        metadata.setRepositoryUri(mrl.toURI());
        Artifact artifact = new Artifact();
        artifact.setVersion(mrl.getVersion());
        artifact.setMetadata(metadata);
        Map<String, Artifact.Item> files = new LinkedHashMap<>();
        if (WIKITEXT2.equals(mrl.getArtifactId())) {
            files.put(WIKITEXT2, item(artifact, WIKITEXT2, "dir"));
        } else if (PTB.equals(mrl.getArtifactId())) {
            for (String split : List.of("train", "valid", "test")) {
                files.put(split, item(artifact, "ptb." + split + ".txt", "file"));
            }
        }
        artifact.setFiles(files);
        metadata.setArtifacts(List.of(artifact));
        return metadata;
    }

    private static Artifact.Item item(Artifact artifact, String name, String type) {
        Artifact.Item item = new Artifact.Item();
        item.setName(name);
        item.setType(type);
        item.setArtifact(artifact);
        return item;
    }

    @Override
    public Artifact resolve(MRL mrl, Map<String, String> filter) {
        return locate(mrl).getArtifacts().get(0);
    }

    /** The files are already here: nothing to download or unpack. */
    @Override
    public void prepare(Artifact artifact, Progress progress) {
        // intentionally empty
    }

    /**
     * An item's file in the folder. WikiText2 asks for {@code wikitext-2/wiki.test.tokens} inside
     * the "wikitext-2" item: the folder given may be that inner folder or the one holding it.
     */
    @Override
    public Path getFile(Artifact.Item item, String path) {
        if (path == null || path.isEmpty()) {
            return root.resolve(item.getName()).toAbsolutePath();
        }
        Path nested = root.resolve(path);
        String prefix = item.getName() + "/";
        if (!Files.exists(nested) && path.startsWith(prefix)) {
            return root.resolve(path.substring(prefix.length())).toAbsolutePath();
        }
        return nested.toAbsolutePath();
    }

    @Override
    protected URI resolvePath(Artifact.Item item, String path) {
        return getFile(item, path).toUri();
    }

    @Override
    public List<MRL> getResources() {
        return List.of(dataset(Application.NLP.ANY, BasicDatasets.GROUP_ID, WIKITEXT2, "1.0"),
                dataset(Application.NLP.ANY, BasicDatasets.GROUP_ID, PTB, "1.0"));
    }
}
